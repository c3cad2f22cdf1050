/* The viewer's window (or offscreen buffer), overlay, keys, mouse and main loop. */
#include <GLFW/glfw3.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "src/view/view_internal.h"

#define MAX_STEPS_PER_FRAME 200 /* a slow frame does not make the simulation race */
#define WINDOW_FPS_CAP 60.0

typedef struct {
  const maml_view_params *vp;
  const maml_env_world *world;
  const maml_env_family *f;
  view_show show;
  int show_made;

  /* the picture */
  mjModel *m; /* a copy of the world's model (its offscreen size is ours), or the robot's scene */
  mjData *d;  /* the scene's display data; robots with a model draw the episode's own */
  int body;   /* the body the camera tracks */
  mjvScene scn;
  mjvCamera cam;
  mjvOption opt;
  mjrContext con;
  int scn_made, con_made;
  GLFWwindow *win;
  int width, height; /* of the recording (the window's framebuffer may change) */

  /* the output */
  view_recorder rec;
  unsigned char *rgb, *flip; /* (width, height, 3): bottom-up as read, top-down */
  size_t rgb_cap;

  /* interaction */
  int paused, help, hide_overlay, track, step_once, shot_pending, post_k, next_goal;
  int button_left, button_middle, button_right;
  double mouse_x, mouse_y;
  double fps;
  char message[512];
  double message_until;
  int shots;
  char shot_path[MAML_PATH_MAX];
  char top_left[256], top_right[1024], bottom_left[256], bottom_right[512], settings[768];
} viewer;

static char glfw_error[512]; /* GLFW's last message (its error callback has no context) */

static void on_glfw_error(int code, const char *text) {
  snprintf(glfw_error, sizeof glfw_error, "%s (GLFW error 0x%x)", text, code);
}

int maml_view_have_display(void) {
  const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
  return (x && *x) || (wl && *wl);
}

static void say(viewer *v, double seconds, const char *text) {
  snprintf(v->message, sizeof v->message, "%.500s", text);
  v->message_until = glfwGetTime() + seconds;
}

/* ---- text ---------------------------------------------------------------------------- */

static void goal_text(const viewer *v, char *buf, size_t n) {
  v->f->kind->goal_text(v->show.goal, buf, n);
}

static void steps_text(int k, char *buf, size_t n) {
  if (k == 0)
    snprintf(buf, n, "before adaptation (0 steps)");
  else
    snprintf(buf, n, "after %d adaptation step%s", k, k == 1 ? "" : "s");
}

/* write at most n bytes at *at, advancing it */
static void append(char **at, const char *end, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char **at, const char *end, const char *fmt, ...) {
  if (*at >= end) return;
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(*at, (size_t)(end - *at), fmt, ap);
  va_end(ap);
  if (len > 0) *at += len < end - *at ? len : end - *at - 1;
}

/* three blocks: what is shown (top left), the episode (bottom left), the settings
 * (bottom right); the middle stays free for the robot */
static void build_overlay(viewer *v) {
  const view_show *s = &v->show;
  char *l = v->top_left, *r = v->top_right;
  const char *le = l + sizeof v->top_left, *re = r + sizeof v->top_right;
  char buf[256];
  goal_text(v, buf, sizeof buf);
  if (s->goal_given)
    append(&r, re, "%s: %s\n", v->f->name, buf);
  else
    append(&r, re, "%s: %s (held-out goal #%d)\n", v->f->name, buf, s->goal_index);
  append(&l, le, "Goal\n");
  if (v->f->kind->goal_detail) { /* a dynamics task's scale factors */
    v->f->kind->goal_detail(v->f, s->goal, buf, sizeof buf);
    append(&l, le, "Physics\n");
    append(&r, re, "%s\n", buf);
  }
  append(&l, le, "Policy\nAdaptation");
  steps_text(s->k, buf, sizeof buf);
  size_t len = strlen(v->vp->policy_label);
  if (len > 40) /* the end of a long path says most */
    append(&r, re, "%s, ...%s\n", buf, v->vp->policy_label + len - 37);
  else
    append(&r, re, "%s, %s\n", buf, v->vp->policy_label);
  if (s->oracle) {
    append(&r, re, "none: an oracle policy sees the task");
  } else if (s->error != MAML_OK) {
    append(&r, re, "failed: %.100s", s->err);
  } else if (s->running) {
    int done = atomic_load(&s->progress);
    append(&r, re, "gathering %d episodes with the policy after %d step%s", s->ep.episodes, done,
           done == 1 ? "" : "s");
  } else if (s->n_returns > 0) {
    append(&r, re, "%d step%s; batch returns", s->avail, s->avail == 1 ? "" : "s");
    for (int k = 0; k < s->n_returns && k < 5; k++) append(&r, re, " %.1f", s->returns[k]);
    append(&r, re, "%s", s->n_returns > 5 ? " ..." : "");
  } else {
    append(&r, re, "none");
  }

  l = v->bottom_left, r = v->bottom_right;
  le = l + sizeof v->bottom_left, re = r + sizeof v->bottom_right;
  append(&l, le, "Episode\n");
  append(&r, re, "#%d, step %d of %d%s\n", s->episode, s->t, s->ep.horizon,
         s->over ? " (ended)" : "");
  int position = v->f->kind->marker == MAML_MARKER_POSITION;
  if (s->world->model && v->f->kind->marker == MAML_MARKER_HEADING) {
    append(&l, le, "Velocity along heading\n");
    append(&r, re, "%.2f m/s\n", s->env.info.heading_vel);
  } else if (s->world->model && !position) {
    append(&l, le, "Forward velocity\n");
    append(&r, re, "%.2f m/s\n", s->env.info.forward_vel);
  }
  if (position) {
    append(&l, le, "Distance to goal\n");
    append(&r, re, "%.3f\n", s->env.info.goal_dist);
  }
  append(&l, le, "Return so far\nLast episode");
  append(&r, re, "%.2f\n", s->ret);
  if (isnan(s->last_ret))
    append(&r, re, "-");
  else
    append(&r, re, "%.2f (after %d adaptation step%s)", s->last_ret, s->last_k,
           s->last_k == 1 ? "" : "s");

  r = v->settings, re = r + sizeof v->settings;
  append(&r, re, "%gx%s, %s actions, ", v->vp->speed, v->paused ? " (paused)" : "",
         s->mean_actions ? "mean" : "sampled");
  if (v->vp->record)
    append(&r, re, "%d fps (video)", v->vp->fps);
  else
    append(&r, re, "%.0f fps\n", v->fps);
  int show_message = !v->vp->record && glfwGetTime() < v->message_until;
  if (show_message)
    append(&r, re, "%s", v->message);
  else if (!v->vp->record && !v->help)
    append(&r, re, "F1 or H: help");
}

static const char help_keys[] =
    "Space\nRight arrow\nN\nA\n0 - 9\nTab\nC\nLeft drag\nRight drag\nScroll\nS\nO\nF1, H\nEsc";
static const char help_text[] =
    "pause or run\none step (pauses)\nnew goal\nadapt one more step\n"
    "the policy after that many steps\nbefore / after adaptation\n"
    "camera tracks the robot / free\nrotate (Shift: horizontal)\nmove (Shift: horizontal)\n"
    "zoom\nscreenshot\ntext overlay on / off\nthis help\nquit";

static void draw_overlay(viewer *v, mjrRect rect) {
  if (!v->hide_overlay) {
    build_overlay(v);
    mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, rect, v->top_left, v->top_right, &v->con);
    mjr_overlay(mjFONT_NORMAL, mjGRID_BOTTOMLEFT, rect, v->bottom_left, v->bottom_right, &v->con);
    mjr_overlay(mjFONT_NORMAL, mjGRID_BOTTOMRIGHT, rect, v->settings, NULL, &v->con);
  }
  if (v->help) mjr_overlay(mjFONT_NORMAL, mjGRID_TOPRIGHT, rect, help_keys, help_text, &v->con);
  const view_show *s = &v->show;
  if (s->running) { /* a progress bar in the middle, under the text */
    int done = atomic_load(&s->progress), total = s->job_steps + 1;
    int w = rect.width * 2 / 5, h = v->con.charHeight + 8;
    mjrRect bar = {rect.left + (rect.width - w) / 2, rect.bottom + rect.height / 3, w, h};
    mjr_rectangle(bar, 0.1f, 0.1f, 0.1f, 0.8f);
    mjrRect fill = bar;
    fill.width = w * done / total;
    if (fill.width > 0) mjr_rectangle(fill, 0.3f, 0.6f, 0.9f, 0.9f);
    char label[128];
    snprintf(label, sizeof label, "adapting: batch %d of %d", done + 1 > total ? total : done + 1,
             total);
    mjr_label(bar, mjFONT_NORMAL, label, 0, 0, 0, 0, 1, 1, 1, &v->con);
  }
}

/* ---- pictures ---------------------------------------------------------------------------- */

static void render(viewer *v, mjrRect rect) {
  mjData *d = v->world->model ? v->show.env.data : v->d;
  if (!v->world->model) view_sync_scene(v->m, v->d, &v->show);
  mjv_updateScene(v->m, d, &v->opt, NULL, &v->cam, mjCAT_ALL, &v->scn);
  view_add_markers(&v->scn, &v->show, d, v->body);
  mjr_render(rect, &v->scn, &v->con);
  draw_overlay(v, rect);
}

/* read the rendered picture into v->flip, top-down */
static maml_status read_picture(viewer *v, mjrRect rect, char *err, size_t err_sz) {
  size_t need = (size_t)rect.width * rect.height * 3;
  if (need > v->rgb_cap) {
    free(v->rgb), free(v->flip);
    v->rgb = malloc(need), v->flip = malloc(need);
    v->rgb_cap = v->rgb && v->flip ? need : 0;
    if (!v->rgb_cap) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for a frame");
  }
  mjr_readPixels(v->rgb, NULL, rect, &v->con);
  size_t row = (size_t)rect.width * 3;
  for (int y = 0; y < rect.height; y++)
    memcpy(v->flip + (size_t)y * row, v->rgb + (size_t)(rect.height - 1 - y) * row, row);
  return MAML_OK;
}

static maml_status screenshot(viewer *v, mjrRect rect, const char *path, char *err, size_t err_sz) {
  char name[MAML_PATH_MAX];
  if (!path) { /* the next free maml-view-FAMILY-N.png */
    const char *dir = v->vp->screenshot_dir ? v->vp->screenshot_dir : ".";
    struct stat st;
    do snprintf(name, sizeof name, "%s/maml-view-%s-%03d.png", dir, v->f->name, ++v->shots);
    while (stat(name, &st) == 0 && v->shots < 100000);
    path = name;
  }
  maml_status st = read_picture(v, rect, err, err_sz);
  if (st == MAML_OK) st = maml_view_write_png(path, v->flip, rect.width, rect.height, err, err_sz);
  if (st == MAML_OK) snprintf(v->shot_path, sizeof v->shot_path, "%s", path);
  return st;
}

/* ---- keys and mouse ---------------------------------------------------------------------- */

static void on_key(GLFWwindow *win, int key, int scancode, int action, int mods) {
  (void)scancode, (void)mods;
  viewer *v = glfwGetWindowUserPointer(win);
  if (action == GLFW_RELEASE) return;
  view_show *s = &v->show;
  char text[256];
  if (action == GLFW_REPEAT && key != GLFW_KEY_RIGHT) return;
  switch (key) {
    case GLFW_KEY_ESCAPE: glfwSetWindowShouldClose(win, 1); break;
    case GLFW_KEY_SPACE: v->paused = !v->paused; break;
    case GLFW_KEY_RIGHT: v->paused = 1, v->step_once = 1; break;
    case GLFW_KEY_F1:
    case GLFW_KEY_H: v->help = !v->help; break;
    case GLFW_KEY_N:
      view_show_set_goal(s, NULL, v->next_goal++);
      v->post_k = s->target;
      say(v, 3, "a new held-out goal");
      break;
    case GLFW_KEY_A:
      if (s->oracle) {
        say(v, 3, "an oracle policy does not adapt");
      } else if (s->target >= MAML_VIEW_MAX_STEPS) {
        snprintf(text, sizeof text, "at most %d steps", MAML_VIEW_MAX_STEPS);
        say(v, 3, text);
      } else {
        v->post_k = s->target + 1;
        view_show_request(s, v->post_k);
      }
      break;
    case GLFW_KEY_TAB:
      if (s->oracle) break;
      view_show_request(s, s->want_k != 0 ? 0 : (v->post_k > 0 ? v->post_k : 1));
      break;
    case GLFW_KEY_C:
      v->track = !v->track;
      v->cam.type = v->track ? mjCAMERA_TRACKING : mjCAMERA_FREE;
      say(v, 2, v->track ? "camera tracks the robot" : "free camera");
      break;
    case GLFW_KEY_S: v->shot_pending = 1; break;
    case GLFW_KEY_O: v->hide_overlay = !v->hide_overlay; break;
    default:
      if (key >= GLFW_KEY_0 && key <= GLFW_KEY_9 && !s->oracle) {
        int k = key - GLFW_KEY_0;
        if (k > 0) v->post_k = k;
        view_show_request(s, k);
      }
  }
}

static void on_button(GLFWwindow *win, int button, int action, int mods) {
  (void)button, (void)action, (void)mods;
  viewer *v = glfwGetWindowUserPointer(win);
  v->button_left = glfwGetMouseButton(win, GLFW_MOUSE_BUTTON_LEFT) == GLFW_PRESS;
  v->button_middle = glfwGetMouseButton(win, GLFW_MOUSE_BUTTON_MIDDLE) == GLFW_PRESS;
  v->button_right = glfwGetMouseButton(win, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS;
  glfwGetCursorPos(win, &v->mouse_x, &v->mouse_y);
}

static void on_move(GLFWwindow *win, double x, double y) {
  viewer *v = glfwGetWindowUserPointer(win);
  double dx = x - v->mouse_x, dy = y - v->mouse_y;
  v->mouse_x = x, v->mouse_y = y;
  if (!v->button_left && !v->button_middle && !v->button_right) return;
  int width, height;
  glfwGetWindowSize(win, &width, &height);
  if (height < 1) return;
  int shift = glfwGetKey(win, GLFW_KEY_LEFT_SHIFT) == GLFW_PRESS ||
              glfwGetKey(win, GLFW_KEY_RIGHT_SHIFT) == GLFW_PRESS;
  int action = v->button_right  ? (shift ? mjMOUSE_MOVE_H : mjMOUSE_MOVE_V)
               : v->button_left ? (shift ? mjMOUSE_ROTATE_H : mjMOUSE_ROTATE_V)
                                : mjMOUSE_ZOOM;
  mjv_moveCamera(v->m, action, dx / height, dy / height, &v->scn, &v->cam);
}

static void on_scroll(GLFWwindow *win, double xoff, double yoff) {
  (void)xoff;
  viewer *v = glfwGetWindowUserPointer(win);
  mjv_moveCamera(v->m, mjMOUSE_ZOOM, 0, -0.05 * yoff, &v->scn, &v->cam);
}

/* ---- setup ------------------------------------------------------------------------------- */

static maml_status check_params(const maml_view_params *vp, char *err, size_t err_sz) {
  if (vp->width < 64 || vp->height < 64 || vp->width > 8192 || vp->height > 8192)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "size %dx%d: each side in [64, 8192]", vp->width,
                     vp->height);
  if (!(vp->speed > 0) || vp->speed > 100)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "speed %g: in (0, 100]", vp->speed);
  if (vp->ep.steps < 0 || vp->ep.steps > MAML_VIEW_MAX_STEPS)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "steps %d: in [0, %d]", vp->ep.steps,
                     MAML_VIEW_MAX_STEPS);
  if (vp->record && (vp->fps < 1 || vp->fps > 240))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "fps %d: in [1, 240]", vp->fps);
  if (vp->record && vp->frames <= 0 && !(vp->seconds > 0) && vp->episodes <= 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "a recording needs a length: frames, seconds or episodes");
  return MAML_OK;
}

static maml_status no_display(const maml_view_params *vp, const char *why, char *err,
                              size_t err_sz) {
  if (vp->record)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s; recording renders through OpenGL in a hidden GLFW window and needs "
                     "an X display too: on a machine without one run it under a virtual one, "
                     "xvfb-run -a -s \"-screen 0 1280x720x24\" maml view ... --record %s",
                     why, vp->record);
  return maml_fail(err, err_sz, MAML_ERR_ARG,
                   "%s, so there is no window to open: run it under a virtual X display, "
                   "xvfb-run -a maml view ..., or record it there (recording needs the display "
                   "too): xvfb-run -a maml view ... --record out.mp4 (a video, needs ffmpeg) or "
                   "--record DIR/ (PNG frames)",
                   why);
}

static maml_status open_picture(viewer *v, char *err, size_t err_sz) {
  const maml_view_params *vp = v->vp;
  if (v->world->model) {
    v->m = mj_copyModel(NULL, v->world->model);
    v->body = v->world->torso_body;
  } else {
    maml_status st = view_scene_model(v->f->robot, &v->m, err, err_sz);
    if (st != MAML_OK) return st;
    v->d = mj_makeData(v->m);
    v->body = 1;
  }
  if (!v->m || (!v->world->model && !v->d))
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the scene");
  v->m->vis.global.offwidth = vp->width;
  v->m->vis.global.offheight = vp->height;

  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    char why[700];
    snprintf(why, sizeof why, "GLFW cannot start: %s", glfw_error);
    return no_display(vp, why, err, err_sz);
  }
  if (vp->record) glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
  glfwWindowHint(GLFW_SAMPLES, 4);
  char title[256], goal[128];
  goal_text(v, goal, sizeof goal);
  snprintf(title, sizeof title, "maml view: %s, %s", v->f->name, goal);
  v->win = glfwCreateWindow(vp->width, vp->height, title, NULL, NULL);
  if (!v->win)
    return maml_fail(err, err_sz, MAML_ERR_IO, "cannot open a window with OpenGL: %s", glfw_error);
  glfwMakeContextCurrent(v->win);
  glfwSwapInterval(vp->record ? 0 : 1);
  glfwSetWindowUserPointer(v->win, v);

  mjv_defaultOption(&v->opt);
  mjv_defaultScene(&v->scn);
  mjv_makeScene(v->m, &v->scn, 2000 + 2 * v->show.ep.horizon);
  v->scn_made = 1;
  mjr_defaultContext(&v->con);
  int font = vp->height >= 1000  ? mjFONTSCALE_200
             : vp->height >= 600 ? mjFONTSCALE_150
                                 : mjFONTSCALE_100;
  mjr_makeContext(v->m, &v->con, font);
  v->con_made = 1;
  if (vp->record) {
    mjr_setBuffer(mjFB_OFFSCREEN, &v->con);
    if (v->con.currentBuffer != mjFB_OFFSCREEN || v->con.offWidth < vp->width ||
        v->con.offHeight < vp->height)
      return maml_fail(err, err_sz, MAML_ERR_IO,
                       "this OpenGL has no offscreen buffer of %dx%d pixels", vp->width,
                       vp->height);
  } else {
    mjr_setBuffer(mjFB_WINDOW, &v->con);
    glfwSetKeyCallback(v->win, on_key);
    glfwSetMouseButtonCallback(v->win, on_button);
    glfwSetCursorPosCallback(v->win, on_move);
    glfwSetScrollCallback(v->win, on_scroll);
  }
  v->track = !v->f->robot->view.top_down; /* top down: the whole arena */
  view_default_camera(&v->cam, v->f, v->body, v->track);
  return MAML_OK;
}

static void close_picture(viewer *v) {
  if (v->con_made) mjr_freeContext(&v->con);
  if (v->scn_made) mjv_freeScene(&v->scn);
  if (v->win) glfwDestroyWindow(v->win);
  glfwTerminate();
  if (v->d) mj_deleteData(v->d);
  if (v->m) mj_deleteModel(v->m);
  free(v->rgb), free(v->flip);
}

/* ---- the loops --------------------------------------------------------------------------- */

static int limits_reached(const viewer *v, long frames, double seconds) {
  const maml_view_params *vp = v->vp;
  return (vp->frames > 0 && frames >= vp->frames) || (vp->seconds > 0 && seconds >= vp->seconds) ||
         (vp->episodes > 0 && v->show.ended >= vp->episodes);
}

/* advance by up to n steps; an episode's end stops the advance for this frame */
static void advance(viewer *v, int n) {
  if (v->show.over) {
    if (v->vp->episodes > 0 && v->show.ended >= v->vp->episodes) return;
    view_show_next(&v->show);
  }
  for (int i = 0; i < n; i++)
    if (view_show_step(&v->show)) break;
}

static maml_status record_loop(viewer *v, maml_view_result *res, char *err, size_t err_sz) {
  const maml_view_params *vp = v->vp;
  mjrRect rect = {0, 0, vp->width, vp->height};
  double per_frame = vp->speed * view_show_rate(&v->show) / vp->fps, debt = 0;
  maml_status st = MAML_OK;
  for (long frame = 0;; frame++) {
    if (frame > 0) {
      debt += per_frame;
      int n = (int)floor(debt + 1e-9);
      debt -= n;
      advance(v, n);
    }
    view_show_poll(&v->show);
    render(v, rect);
    st = read_picture(v, rect, err, err_sz);
    if (st == MAML_OK) st = view_recorder_write(&v->rec, v->flip, err, err_sz);
    if (st != MAML_OK) break;
    res->frames = frame + 1;
    if (limits_reached(v, frame + 1, (double)(frame + 1) / vp->fps)) break;
  }
  if (st == MAML_OK && vp->screenshot)
    st = maml_view_write_png(vp->screenshot, v->flip, rect.width, rect.height, err, err_sz);
  if (st == MAML_OK && vp->screenshot)
    snprintf(res->screenshot, sizeof res->screenshot, "%s", vp->screenshot);
  return st;
}

static void sleep_seconds(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
  nanosleep(&ts, NULL);
}

static maml_status window_loop(viewer *v, maml_view_result *res, char *err, size_t err_sz) {
  const maml_view_params *vp = v->vp;
  double start = glfwGetTime(), last = start, debt = 0, fps_since = start;
  int fps_frames = 0;
  maml_status st = MAML_OK;
  while (!glfwWindowShouldClose(v->win)) {
    glfwPollEvents();
    double now = glfwGetTime(), dt = now - last;
    last = now;
    view_show_poll(&v->show);
    if (!v->paused) debt += fmin(dt, 0.25) * vp->speed * view_show_rate(&v->show);
    int n = (int)fmin(floor(debt), MAX_STEPS_PER_FRAME);
    debt = v->paused ? 0 : fmin(debt - n, 1.0);
    if (v->step_once) n = 1, v->step_once = 0;
    if (n > 0) advance(v, n);

    int width, height;
    glfwGetFramebufferSize(v->win, &width, &height);
    mjrRect rect = {0, 0, width, height};
    if (width > 0 && height > 0) {
      render(v, rect);
      res->frames++;
      int last_frame = limits_reached(v, res->frames, now - start);
      if (v->shot_pending) {
        v->shot_pending = 0;
        char text[MAML_PATH_MAX + 64];
        if (screenshot(v, rect, NULL, text, sizeof text) == MAML_OK)
          snprintf(text, sizeof text, "screenshot: %s", v->shot_path);
        say(v, 4, text);
      }
      if (last_frame && vp->screenshot) st = screenshot(v, rect, vp->screenshot, err, err_sz);
      glfwSwapBuffers(v->win);
      if (last_frame) return st;
    }
    double frame_time = glfwGetTime() - now;
    fps_frames++;
    if (now - fps_since >= 0.5) {
      v->fps = fps_frames / (now - fps_since);
      fps_frames = 0, fps_since = now;
    }
    sleep_seconds(1.0 / WINDOW_FPS_CAP - frame_time);
  }
  /* closed by the user (Esc, the window's close button) before the limits: --screenshot
   * still gets the picture last shown, drawn once more while the window is there */
  int width, height;
  glfwGetFramebufferSize(v->win, &width, &height);
  if (st == MAML_OK && vp->screenshot && width > 0 && height > 0) {
    mjrRect rect = {0, 0, width, height};
    render(v, rect);
    st = screenshot(v, rect, vp->screenshot, err, err_sz);
  }
  return st;
}

maml_status maml_view_run(const maml_env_world *world, const maml_policy *p, const maml_real *theta,
                          const maml_view_params *vp, maml_pool *pool, maml_view_result *result,
                          char *err, size_t err_sz) {
  maml_view_result dummy;
  maml_view_result *res = result ? result : &dummy;
  memset(res, 0, sizeof *res);
  maml_status st = check_params(vp, err, err_sz);
  if (st != MAML_OK) return st;
  if (!maml_view_have_display())
    return no_display(vp, "no display is set (DISPLAY and WAYLAND_DISPLAY are empty)", err, err_sz);
  if (p->obs_dim != world->obs_dim || p->act_dim != world->family->act_dim)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "the policy maps %d -> %d numbers, %s needs %d -> %d", p->obs_dim, p->act_dim,
                     world->family->name, world->obs_dim, world->family->act_dim);

  viewer *v = calloc(1, sizeof *v);
  if (!v) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the viewer");
  v->vp = vp, v->world = world, v->f = world->family;
  st = view_show_init(&v->show, world, p, theta, vp, pool, err, err_sz);
  if (st == MAML_OK) {
    v->show_made = 1;
    /* the goal first (the window title names it); its adaptation starts here too */
    view_show_set_goal(&v->show, vp->goal_given ? vp->goal : NULL, vp->goal_index);
    v->next_goal = vp->goal_index + 1;
    v->post_k = v->show.target;
    v->help = vp->show_help;
    v->hide_overlay = vp->hide_overlay;
    st = open_picture(v, err, err_sz);
  }
  if (st == MAML_OK && vp->record) {
    st = view_recorder_open(&v->rec, vp->record, vp->width, vp->height, vp->fps, err, err_sz);
    if (st == MAML_OK) {
      st = record_loop(v, res, err, err_sz);
      maml_status closed = view_recorder_close(&v->rec, st == MAML_OK ? err : NULL, err_sz);
      if (st == MAML_OK) st = closed;
    }
  } else if (st == MAML_OK) {
    st = window_loop(v, res, err, err_sz);
  }
  if (v->show_made) {
    view_show_wait(&v->show);
    view_show_poll(&v->show);
    res->episodes = v->show.ended;
    res->steps_adapted = v->show.avail;
    if (st == MAML_OK && vp->record && v->show.error != MAML_OK)
      st = maml_fail(err, err_sz, v->show.error, "adaptation failed: %s", v->show.err);
    view_show_free(&v->show);
  }
  if (!res->screenshot[0] && v->shot_path[0])
    snprintf(res->screenshot, sizeof res->screenshot, "%s", v->shot_path);
  close_picture(v);
  free(v);
  return st;
}
