/* Where frames go: PNG files (libpng) or ffmpeg's standard input. */
#include <errno.h>
#include <png.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/view/view_internal.h"

maml_status maml_view_write_png(const char *path, const unsigned char *rgb, int width, int height,
                                char *err, size_t err_sz) {
  if (width < 1 || height < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: image of %dx%d pixels", path, width, height);
  FILE *out = fopen(path, "wb");
  if (!out)
    return maml_fail(err, err_sz, MAML_ERR_IO, "cannot write %s: %s", path, strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    fclose(out);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for %s", path);
  }
  /* libpng reports its errors by longjmp: nothing below changes a local before it */
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(out);
    return maml_fail(err, err_sz, MAML_ERR_IO, "writing %s failed (libpng)", path);
  }
  png_init_io(png, out);
  png_set_compression_level(png, 3); /* frames come fast: a light compression */
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; y++) png_write_row(png, rgb + (size_t)y * width * 3);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  if (fclose(out) != 0)
    return maml_fail(err, err_sz, MAML_ERR_IO, "cannot write %s: %s", path, strerror(errno));
  return MAML_OK;
}

int maml_view_find_program(const char *name, char *dir, size_t dir_sz) {
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    size_t len = strcspn(path, ":");
    char file[MAML_PATH_MAX];
    if (len > 0 && len + strlen(name) + 2 <= sizeof file) {
      memcpy(file, path, len);
      file[len] = '/';
      strcpy(file + len + 1, name);
      struct stat st;
      if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0) {
        if (len + 1 > dir_sz) return 0;
        memcpy(dir, path, len);
        dir[len] = '\0';
        return 1;
      }
    }
    path += len;
    if (*path == ':') path++;
  }
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static int is_video_name(const char *s) {
  static const char *const ext[] = {".mp4", ".mkv", ".webm", ".mov", ".avi", ".gif"};
  for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
    if (ends_with(s, ext[i])) return 1;
  return 0;
}

static maml_status start_ffmpeg(view_recorder *r, const char *target, char *err, size_t err_sz) {
  char dir[MAML_PATH_MAX];
  if (!maml_view_find_program("ffmpeg", dir, sizeof dir))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "--record %s: recording a video needs ffmpeg, which is not on PATH; "
                     "install it (apt-get install ffmpeg) or record PNG frames with "
                     "--record DIR/",
                     target);
  if ((r->width % 2 || r->height % 2) && !ends_with(target, ".gif"))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "--record %s: a video needs an even width and height (got %dx%d)", target,
                     r->width, r->height);
  char size[32], rate[16];
  snprintf(size, sizeof size, "%dx%d", r->width, r->height);
  snprintf(rate, sizeof rate, "%d", r->fps);
  int fds[2];
  if (pipe(fds) != 0)
    return maml_fail(err, err_sz, MAML_ERR_IO, "cannot make a pipe to ffmpeg: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    return maml_fail(err, err_sz, MAML_ERR_IO, "cannot start ffmpeg: %s", strerror(errno));
  }
  if (pid == 0) { /* the child becomes ffmpeg, reading raw frames on its standard input */
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]), close(fds[1]);
    char *args[] = {"ffmpeg", "-y",       "-loglevel", "error",        "-f", "rawvideo", "-pix_fmt",
                    "rgb24",  "-s",       size,        "-r",           rate, "-i",       "-",
                    "-an",    "-pix_fmt", "yuv420p",   (char *)target, NULL};
    if (ends_with(target, ".gif")) /* let ffmpeg pick the palette */
      args[15] = (char *)target, args[16] = NULL;
    execvp("ffmpeg", args);
    _exit(127);
  }
  close(fds[0]);
  r->pipe = fdopen(fds[1], "wb");
  if (!r->pipe) {
    close(fds[1]);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return maml_fail(err, err_sz, MAML_ERR_IO, "cannot open the pipe to ffmpeg");
  }
  r->ffmpeg = pid;
  return MAML_OK;
}

maml_status view_recorder_open(view_recorder *r, const char *target, int width, int height, int fps,
                               char *err, size_t err_sz) {
  memset(r, 0, sizeof *r);
  r->width = width, r->height = height, r->fps = fps;
  struct stat st;
  if (ends_with(target, "/") || (stat(target, &st) == 0 && S_ISDIR(st.st_mode))) {
    size_t n = strlen(target);
    while (n > 1 && target[n - 1] == '/') n--;
    if (n + 32 > sizeof r->dir)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "--record: folder name too long");
    memcpy(r->dir, target, n);
    r->dir[n] = '\0';
    if (stat(r->dir, &st) != 0 || !S_ISDIR(st.st_mode))
      return maml_fail(err, err_sz, MAML_ERR_IO, "--record %s: not a folder", target);
    return MAML_OK;
  }
  if (!is_video_name(target))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "--record %s: give a folder ending in / for PNG frames, or a video file "
                     "(.mp4, .mkv, .webm, .mov, .avi, .gif)",
                     target);
  return start_ffmpeg(r, target, err, err_sz);
}

maml_status view_recorder_write(view_recorder *r, const unsigned char *rgb, char *err,
                                size_t err_sz) {
  if (r->dir[0]) {
    char path[MAML_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/frame-%06ld.png", r->dir, r->written);
    maml_status st = maml_view_write_png(path, rgb, r->width, r->height, err, err_sz);
    if (st == MAML_OK) r->written++;
    return st;
  }
  size_t n = (size_t)r->width * r->height * 3;
  if (fwrite(rgb, 1, n, r->pipe) != n)
    return maml_fail(err, err_sz, MAML_ERR_IO,
                     "ffmpeg stopped reading frames after %ld (see its message above)", r->written);
  r->written++;
  return MAML_OK;
}

maml_status view_recorder_close(view_recorder *r, char *err, size_t err_sz) {
  if (!r || !r->ffmpeg) return MAML_OK;
  int closed = fclose(r->pipe) == 0, status = 0;
  r->pipe = NULL;
  pid_t pid = r->ffmpeg;
  r->ffmpeg = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return maml_fail(err, err_sz, MAML_ERR_IO, "ffmpeg failed (exit status %d)",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  if (!closed) return maml_fail(err, err_sz, MAML_ERR_IO, "writing to ffmpeg failed");
  return MAML_OK;
}
