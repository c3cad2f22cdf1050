/* `maml view`: watch a policy adapt to a held-out goal, in a window or recorded. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "maml/env.h"
#include "maml/eval.h"
#ifdef MAML_VIEWER
#include "maml/view.h"
#endif

#define PATH_LEN 4096

static void view_usage(FILE *out) {
  char steps[512], episodes[512]; /* from the registry */
  maml_env_preset_text(MAML_PRESET_EVAL_STEPS, steps, sizeof steps);
  maml_env_preset_text(MAML_PRESET_EVAL_EPISODES, episodes, sizeof episodes);
  fprintf(out,
          "usage: maml view RUN_DIR|CHECKPOINT|random [--env FAMILY] [--goal G] [--steps K]\n"
          "                 [--speed S] [--mean] [--record OUT] [options]\n"
          "\n"
          "Watch a policy adapt to a held-out goal. The window first shows the policy as it\n"
          "is, while a worker thread gathers the adaptation episodes and takes the inner\n"
          "steps of `maml eval` (N episodes, a policy-gradient step of ALPHA, then steps of\n"
          "ALPHA/2); after the first episode it shows the policy after K steps on the same\n"
          "goal. The goal is drawn in the scene in magenta: a disc and pole at a goal\n"
          "position, an arrow over the robot for a goal velocity, direction or heading (the\n"
          "green arrow is the robot's own velocity; the magenta post moves at the goal\n"
          "velocity). A dynamics task (random physics) has no marker: the overlay's\n"
          "Physics line gives its scale factors, each group's least and greatest.\n"
          "\n"
          "keys: Space pause, Right arrow one step, N new goal, A adapt one more step,\n"
          "0-9 the policy after that many steps, Tab before/after adaptation, C camera\n"
          "tracks/free, mouse rotate (left), move (right), zoom (scroll), S screenshot,\n"
          "F1 or H help, Esc quit.\n"
          "\n"
          "options:\n"
          "  RUN_DIR|CHECKPOINT a checkpoint, or a run directory (its best.ckpt, else\n"
          "                     latest.ckpt); `random`: a fresh policy (needs --env)\n"
          "  --env FAMILY       the family, or a family file (default: the checkpoint's; a\n"
          "                     run on a family file reads its copy RUN_DIR/family.ini, and\n"
          "                     an --env that differs is refused naming the keys)\n"
          "  --random-hidden W,W,...  `random`'s hidden layers (none: linear; default\n"
          "                     100,100, the paper's, as in `maml eval`)\n"
          "  --random-activation relu|tanh  `random`'s nonlinearity (default relu)\n"
          "  --goal G           the goal (`maml envs` shows the syntax); default: held-out\n"
          "                     goal --goal-index of `maml eval --seed S` (a dynamics\n"
          "                     task cannot be named: --goal-index picks one)\n"
          "  --goal-index I     which held-out goal (default 0); N moves to the next one\n"
          "  --steps K          adaptation steps shown after the first episode (default\n"
          "                     %s; at most 20)\n"
          "  --adapt-episodes N episodes per adaptation step (default %s)\n"
          "  --alpha A          first step size (default: the run's inner step size, else\n"
          "                     0.1; a run with learned step sizes, learn_alpha, adapts\n"
          "                     with its own, a_j then a_j/2, unless --alpha is given)\n"
          "  --seed S           evaluation seed (default 1): goals and episodes\n",
          steps, episodes);
  fprintf(out,
          "  --mean             act with the policy's mean; the default samples actions, as\n"
          "                     the adaptation episodes do\n"
          "  --speed S          simulated time per real second (default 1: real time)\n"
          "  --size WxH         window or frame size (default 1280x720)\n"
          "  --record OUT       no window: render off screen and write DIR/ (PNG frames\n"
          "                     DIR/frame-000000.png ...) or a video file (.mp4, .mkv, .webm,\n"
          "                     .mov, .avi, .gif; needs ffmpeg on PATH). Needs an X display:\n"
          "                     without one, run under xvfb-run -a\n"
          "  --fps N            frames per second of a recording (default 30); each frame\n"
          "                     advances the simulation by SPEED/N seconds\n"
          "  --episodes N       stop after N episodes (recording default: 2, one before\n"
          "                     and one after adaptation; the first episode shown is the\n"
          "                     one before, so 1 records that one alone)\n"
          "  --seconds S        stop after S seconds (of video, when recording)\n"
          "  --frames N         stop after N frames\n"
          "  --screenshot FILE  write the last frame shown to FILE (PNG) at the end\n"
          "  --screenshot-dir D where S writes its screenshots (default: the current folder)\n"
          "  --keys             start with the list of keys on screen (F1 or H toggles it)\n"
          "  --extrapolate      accept a --goal outside the family's training range\n"
          "  --no-overlay       start without the text overlay (O toggles it): the robot\n"
          "                     and the markers alone, for figures\n"
          "  --assets DIR       look for the MJCF models in DIR only (default: the folder\n"
          "                     the checkpoint recorded, and a model that hashes otherwise\n"
          "                     than the one it was trained on is refused; a model\n"
          "                     named with --assets is used, with a warning)\n"
          "  -h, --help         print this message\n");
  char names[256];
  cmd_matmul_names(", ", names, sizeof names);
  fprintf(out,
          "  --matmul NAME      the backend of the policy's matrix products (%s;\n"
          "                     `maml version` lists those this build and CPU can run): this\n"
          "                     flag, else $MAML_MATMUL, else openblas; not the backend the\n"
          "                     checkpoint was trained with\n",
          names);
}

#ifndef MAML_VIEWER

int cmd_view(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (cmd_is_help(argv[i])) {
      view_usage(stdout);
      printf("\nThis maml was built without the viewer (MAML_VIEWER=OFF).\n");
      return 0;
    }
  fprintf(stderr,
          "maml view: this maml was built without the viewer (MAML_VIEWER=OFF): install GLFW "
          "and libpng (libglfw3-dev libpng-dev) and rebuild with -DMAML_VIEWER=ON\n");
  return 2;
}

#else

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
  return cmd_parse_long("maml view", opt, v, lo, hi, out);
}

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out) {
  return cmd_parse_double("maml view", opt, v, lo, hi, out);
}

static int parse_size(const char *v, int *w, int *h) {
  char tail;
  if (sscanf(v, "%dx%d%c", w, h, &tail) != 2 || *w < 64 || *h < 64 || *w > 8192 || *h > 8192) {
    fprintf(stderr, "maml view: --size: '%s' is not WIDTHxHEIGHT with sides in [64, 8192]\n", v);
    return 0;
  }
  return 1;
}

/* What the command line asked for. */
typedef struct {
  const char *source, *env, *goal_text, *assets, *matmul, *record, *shot, *shot_dir;
  long goal_index, steps, episodes, seed, fps, stop_episodes, frames;
  double alpha, speed, seconds;
  int width, height, mean, keys, no_overlay, extrapolate;
  cmd_random_options rnd;
  char env_name[MAML_NAME_MAX]; /* --env's family (a family file's is registered) */
} view_args;

/* a flag without a value: 1 when opt is one (set in a) */
static int view_flag(const char *opt, view_args *a) {
  int *flag = !strcmp(opt, "--mean")          ? &a->mean
              : !strcmp(opt, "--no-overlay")  ? &a->no_overlay
              : !strcmp(opt, "--extrapolate") ? &a->extrapolate
              : !strcmp(opt, "--keys")        ? &a->keys
                                              : NULL;
  if (flag) *flag = 1;
  return flag != NULL;
}

/* an option with its value v: 1, or 0 after a message */
static int view_option(const char *o, const char *v, view_args *a) {
  int ok = 1;
  if (!strcmp(o, "--env")) {
    char msg[2048];
    ok = maml_env_use(v, a->env_name, sizeof a->env_name, NULL, msg, sizeof msg) == MAML_OK;
    if (!ok) fprintf(stderr, "maml view: --env: %s\n", msg);
    a->env = a->env_name;
  } else if (!strcmp(o, "--goal")) {
    a->goal_text = v;
  } else if (!strcmp(o, "--goal-index")) {
    ok = parse_long(o, v, 0, 1000000, &a->goal_index);
  } else if (!strcmp(o, "--steps")) {
    ok = parse_long(o, v, 0, MAML_VIEW_MAX_STEPS, &a->steps);
  } else if (!strcmp(o, "--adapt-episodes")) {
    ok = parse_long(o, v, 1, 65536, &a->episodes);
  } else if (!strcmp(o, "--alpha")) {
    ok = parse_double(o, v, 0, 100, &a->alpha);
  } else if (!strcmp(o, "--seed")) {
    ok = parse_long(o, v, 0, 2147483647, &a->seed);
  } else if (!strcmp(o, "--speed")) {
    ok = parse_double(o, v, 0, 100, &a->speed);
  } else if (!strcmp(o, "--size")) {
    ok = parse_size(v, &a->width, &a->height);
  } else if (!strcmp(o, "--record")) {
    a->record = v;
  } else if (!strcmp(o, "--fps")) {
    ok = parse_long(o, v, 1, 240, &a->fps);
  } else if (!strcmp(o, "--episodes")) {
    ok = parse_long(o, v, 1, 1000000, &a->stop_episodes);
  } else if (!strcmp(o, "--seconds")) {
    ok = parse_double(o, v, 0, 1e6, &a->seconds);
  } else if (!strcmp(o, "--frames")) {
    ok = parse_long(o, v, 1, 100000000, &a->frames);
  } else if (!strcmp(o, "--screenshot")) {
    a->shot = v;
  } else if (!strcmp(o, "--screenshot-dir")) {
    a->shot_dir = v;
  } else if (!strcmp(o, "--assets")) {
    a->assets = v;
  } else if (!strcmp(o, "--matmul")) {
    a->matmul = v;
    ok = cmd_matmul_known("maml view", v, "--matmul");
  } else if (!cmd_random_option("maml view", o, v, &a->rnd, &ok)) {
    fprintf(stderr, "maml view: unknown option '%s' (see --help)\n", o);
    ok = 0;
  }
  return ok;
}

/* the command line into a: -1 to go on, else the exit status (0 after --help) */
static int parse_view_args(int argc, char **argv, view_args *a) {
  memset(a, 0, sizeof *a);
  a->steps = a->episodes = -1;
  a->seed = 1, a->fps = 30, a->speed = 1, a->width = 1280, a->height = 720;
  cmd_random_options_init(&a->rnd);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (cmd_is_help(o)) {
      view_usage(stdout);
      return 0;
    }
    if (o[0] != '-') {
      if (a->source) {
        fprintf(stderr, "maml view: one policy only ('%s' and '%s'; see --help)\n", a->source, o);
        return 2;
      }
      a->source = o;
    } else if (!view_flag(o, a)) {
      if (i + 1 >= argc) {
        fprintf(stderr, "maml view: %s needs a value (see --help)\n", o);
        return 2;
      }
      if (!view_option(o, argv[++i], a)) return 2;
    }
  }
  if (!a->source) {
    fprintf(stderr, "maml view: give a run directory, a checkpoint or `random` (see --help)\n");
    return 2;
  }
  if (!a->record && !maml_view_have_display()) {
    fprintf(stderr,
            "maml view: no display (DISPLAY and WAYLAND_DISPLAY are empty), so no window. "
            "Run it under a virtual X display (recording renders through OpenGL too, so it "
            "needs one as well):\n"
            "  xvfb-run -a maml view %s                    (a window no one sees)\n"
            "  xvfb-run -a maml view %s --record out.mp4   (a video; needs ffmpeg)\n"
            "  xvfb-run -a maml view %s --record frames/   (PNG frames)\n",
            a->source, a->source, a->source);
    return 2;
  }
  if (a->record && !a->frames && !a->seconds && !a->stop_episodes) a->stop_episodes = 2;
  char buf[160];
  const char *from = "--matmul", *name = a->matmul;
  if (!name) name = cmd_matmul_fallback(buf, sizeof buf, &from);
  return cmd_use_matmul("maml view", name, from) ? -1 : 2;
}

/* The policy a names (a checkpoint's, or `random`'s family alone: its network is made
 * once the world is open) into cp: -1 to go on, else the exit status. */
static int load_view_policy(const view_args *a, cmd_policy *cp, char *ckpt, size_t n) {
  char err[8192];
  memset(cp, 0, sizeof *cp);
  if (!strcmp(a->source, "random")) {
    if (!a->env) {
      fprintf(stderr, "maml view: a random policy needs --env FAMILY (one of %s)\n",
              maml_env_names());
      return 2;
    }
    snprintf(cp->env, sizeof cp->env, "%s", a->env);
    return -1;
  }
  if (a->rnd.hidden_given || a->rnd.activation_given) {
    fprintf(stderr, "maml view: --random-%s is for `random` only: %s has its own network\n",
            a->rnd.hidden_given ? "hidden" : "activation", a->source);
    return 2;
  }
  if (!cmd_checkpoint_path(a->source, ckpt, n)) {
    fprintf(stderr, "maml view: '%s': path too long\n", a->source);
    return 2;
  }
  if (!cmd_load_policy(ckpt, cp, err, sizeof err)) {
    fprintf(stderr, "maml view: %s\n", err);
    return 1;
  }
  if (cp->notice[0]) fprintf(stderr, "maml view: note: %s\n", cp->notice);
  if (a->env && strcmp(a->env, cp->env) != 0) {
    char diff[2048] = "";
    cmd_family_difference(cp->env, a->env, diff, sizeof diff);
    fprintf(stderr, "maml view: %s was trained on %s, not on --env %s%s\n", ckpt, cp->env, a->env,
            diff);
    return 2;
  }
  if (!maml_env_find(cp->env)) { /* a checkpoint of a family this process does not know */
    fprintf(stderr,
            "maml view: unknown family '%s' (the families are %s): name its family file "
            "with --env FILE\n",
            cp->env, maml_env_names());
    return 2;
  }
  return -1;
}

/* The viewer's parameters from a and the policy, the goal parsed: -1, or the exit status. */
static int view_params(const view_args *a, const cmd_policy *cp, const char *label,
                       maml_view_params *vp) {
  const maml_env_family *f = maml_env_find(cp->env);
  *vp = (maml_view_params){.policy_label = label,
                           .oracle = cp->oracle,
                           .goal_index = (int)a->goal_index,
                           .mean_actions = a->mean,
                           .speed = a->speed,
                           .width = a->width,
                           .height = a->height,
                           .record = a->record,
                           .fps = (int)a->fps,
                           .frames = a->frames,
                           .seconds = a->seconds,
                           .episodes = (int)a->stop_episodes,
                           .screenshot = a->shot,
                           .screenshot_dir = a->shot_dir,
                           .show_help = a->keys,
                           .hide_overlay = a->no_overlay};
  int steps = a->steps >= 0 ? (int)a->steps : maml_env_preset_value(f, MAML_PRESET_EVAL_STEPS);
  vp->ep = (maml_eval_params){.episodes = a->episodes > 0
                                              ? (int)a->episodes
                                              : maml_env_preset_value(f, MAML_PRESET_EVAL_EPISODES),
                              .steps = cp->oracle ? 0 : steps,
                              .horizon = f->horizon,
                              .alpha = a->alpha > 0    ? a->alpha
                                       : cp->alpha > 0 ? cp->alpha
                                                       : 0.1,
                              .gamma = 0.99,
                              .gae_lambda = 1.0,
                              .seed = (uint64_t)a->seed};
  vp->ep.step_sizes = a->alpha > 0 ? NULL : cp->step_sizes; /* a run's learned ones */
  if (!a->goal_text) return -1;
  if (f->kind->no_goal_flag) {
    fprintf(stderr, "maml view: --goal: %s cannot be named by --goal: it takes %s\n", f->name,
            f->goal_syntax);
    return 2;
  }
  char err[1024];
  maml_status parsed = a->extrapolate
                           ? maml_env_parse_task_outside(f, a->goal_text, vp->goal, err, sizeof err)
                           : f->parse_task(a->goal_text, vp->goal, err, sizeof err);
  if (parsed != MAML_OK) {
    fprintf(stderr, "maml view: --goal: %s\n", err);
    return 2;
  }
  vp->goal_given = 1;
  return -1;
}

/* `random`: a fresh policy as `maml eval` makes it, the paper's 100-100 relu unless
 * --random-hidden and --random-activation say otherwise; 1, or 0 after a message */
static int make_random(const view_args *a, const maml_env_world *w, cmd_policy *cp, char *label,
                       size_t n) {
  static const int paper[2] = {100, 100};
  const cmd_random_options *r = &a->rnd;
  if (!cmd_random_policy("maml view", w->obs_dim, w->family->act_dim,
                         r->hidden_given ? r->set.n_hidden : 2,
                         r->hidden_given ? r->set.hidden : paper,
                         r->activation_given ? r->set.activation : MAML_ACT_RELU, (uint64_t)a->seed,
                         &cp->policy, &cp->theta))
    return 0;
  char net[160];
  cmd_format_network(&cp->policy, net, sizeof net);
  snprintf(label, n, "random %s (fresh initialisation)", net);
  printf("maml view: random policy, a fresh %s network (seed %ld)\n", net, a->seed);
  return 1;
}

/* Open the world and show the policy: the exit status. */
static int show(const view_args *a, cmd_policy *cp, maml_view_params *vp) {
  char err[8192], label[192];
  int rc = 1;
  cmd_quiet_mujoco();
  maml_env_world world;
  maml_pool *pool = NULL;
  if (!cmd_open_world(&world, cp->env, cp->oracle, a->assets, "maml view")) return 1;
  if (!cp->theta) { /* random */
    if (!make_random(a, &world, cp, label, sizeof label)) goto done;
    vp->policy_label = label;
  }
  if (maml_pool_create(&pool, 1, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml view: %s\n", err);
    goto done;
  }
  if (a->record) {
    if (a->record[strlen(a->record) - 1] == '/' && cmd_make_dirs(a->record) != 0) {
      fprintf(stderr, "maml view: cannot create %s: %s\n", a->record, strerror(errno));
      goto done;
    }
    signal(SIGPIPE, SIG_IGN); /* a dead ffmpeg shows as a write error */
  }
  maml_view_result res;
  maml_status st = maml_view_run(&world, &cp->policy, cp->theta, vp, pool, &res, err, sizeof err);
  if (st != MAML_OK) {
    fprintf(stderr, "maml view: %s\n", err);
    rc = st == MAML_ERR_ARG ? 2 : 1;
    goto done;
  }
  if (a->record)
    printf("maml view: %ld frames to %s (%d episodes, %d adaptation steps)\n", res.frames,
           a->record, res.episodes, res.steps_adapted);
  if (res.screenshot[0]) printf("maml view: screenshot %s\n", res.screenshot);
  rc = 0;
done:
  maml_pool_destroy(pool);
  maml_env_world_close(&world);
  return rc;
}

int cmd_view(int argc, char **argv) {
  view_args a;
  int rc = parse_view_args(argc, argv, &a);
  if (rc >= 0) return rc;
  cmd_policy cp;
  char ckpt[PATH_LEN];
  rc = load_view_policy(&a, &cp, ckpt, sizeof ckpt);
  maml_view_params vp;
  if (rc < 0)
    rc = view_params(&a, &cp, strcmp(a.source, "random") ? ckpt : "random (fresh initialisation)",
                     &vp);
  if (rc < 0) rc = show(&a, &cp, &vp);
  free(cp.theta), free(cp.step_sizes);
  return rc;
}

#endif
