/* Pixel checks on a viewer screenshot (tests/view.sh):
 *   view_check FILE.png MIN_MARKER MIN_ROBOT
 * passes (exit 0) when the picture is not blank (many colours, no colour covering almost
 * all of it), at least MIN_MARKER pixels have the goal marker's magenta and at least
 * MIN_ROBOT pixels the robot's orange. Prints the counts. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "maml/view.h"

static int near_marker(int r, int g, int b) {
  /* drawn emissive: close to the marker colour, whatever the light */
  int mr = (int)(MAML_VIEW_MARKER_R * 255), mg = (int)(MAML_VIEW_MARKER_G * 255),
      mb = (int)(MAML_VIEW_MARKER_B * 255);
  return abs(r - mr) < 70 && abs(g - mg) < 60 && abs(b - mb) < 70;
}

static int orange(int r, int g, int b) {
  return r > 120 && r > g + 25 && g > b + 25 && b < 140;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: view_check FILE.png MIN_MARKER MIN_ROBOT\n");
    return 2;
  }
  png_image img = {.version = PNG_IMAGE_VERSION};
  if (!png_image_begin_read_from_file(&img, argv[1])) {
    fprintf(stderr, "view_check: %s: %s\n", argv[1], img.message);
    return 1;
  }
  img.format = PNG_FORMAT_RGB;
  size_t n = PNG_IMAGE_SIZE(img);
  unsigned char *rgb = malloc(n);
  if (!rgb || !png_image_finish_read(&img, NULL, rgb, 0, NULL)) {
    fprintf(stderr, "view_check: %s: cannot read\n", argv[1]);
    return 1;
  }
  long pixels = (long)img.width * img.height, marker = 0, robot = 0;
  /* a coarse colour histogram: 8 levels a channel */
  static long hist[512];
  for (long i = 0; i < pixels; i++) {
    int r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
    marker += near_marker(r, g, b);
    robot += orange(r, g, b);
    hist[(r >> 5) << 6 | (g >> 5) << 3 | b >> 5]++;
  }
  long colours = 0, top = 0;
  for (int i = 0; i < 512; i++) {
    colours += hist[i] > 0;
    if (hist[i] > top) top = hist[i];
  }
  printf("%s: %ux%u, %ld colour bins, largest %.0f%%, marker %ld, robot %ld pixels\n", argv[1],
         img.width, img.height, colours, 100.0 * top / pixels, marker, robot);
  int ok = 1;
  if (colours < 12 || top > pixels * 9 / 10) {
    printf("FAIL: the picture is (nearly) blank\n");
    ok = 0;
  }
  if (marker < atol(argv[2])) {
    printf("FAIL: goal marker: %ld pixels, expected at least %s\n", marker, argv[2]);
    ok = 0;
  }
  if (robot < atol(argv[3])) {
    printf("FAIL: robot: %ld pixels, expected at least %s\n", robot, argv[3]);
    ok = 0;
  }
  free(rgb);
  return ok ? 0 : 1;
}
