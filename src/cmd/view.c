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
          "velocity).\n"
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
          "                     0.1)\n"
          "  --seed S           evaluation seed (default 1): goals and episodes\n"
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
          "  -h, --help         print this message\n",
          steps, episodes);
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

int cmd_view(int argc, char **argv) {
  const char *source = NULL, *env_arg = NULL, *goal_text = NULL, *assets = NULL;
  const char *matmul = NULL;
  long goal_index = 0, steps = -1, episodes = -1, seed = 1, fps = 30, stop_episodes = 0;
  long frames = 0;
  double alpha = 0, speed = 1, seconds = 0;
  int width = 1280, height = 720, mean = 0, keys = 0, no_overlay = 0, extrapolate = 0;
  const char *record = NULL, *shot = NULL, *shot_dir = NULL;
  cmd_random_options rnd;
  cmd_random_options_init(&rnd);

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (cmd_is_help(a)) {
      view_usage(stdout);
      return 0;
    }
    if (a[0] != '-') {
      if (source) {
        fprintf(stderr, "maml view: one policy only ('%s' and '%s'; see --help)\n", source, a);
        return 2;
      }
      source = a;
      continue;
    }
    if (!strcmp(a, "--mean")) {
      mean = 1;
      continue;
    }
    if (!strcmp(a, "--no-overlay")) {
      no_overlay = 1;
      continue;
    }
    if (!strcmp(a, "--extrapolate")) {
      extrapolate = 1;
      continue;
    }
    if (!strcmp(a, "--keys")) {
      keys = 1;
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      fprintf(stderr, "maml view: %s needs a value (see --help)\n", a);
      return 2;
    }
    i++;
    int ok = 1;
    if (!strcmp(a, "--env")) {
      static char env_name[MAML_NAME_MAX]; /* a family file's family is named in it */
      char msg[2048];
      if (maml_env_use(v, env_name, sizeof env_name, NULL, msg, sizeof msg) != MAML_OK) {
        fprintf(stderr, "maml view: --env: %s\n", msg);
        return 2;
      }
      env_arg = env_name;
    } else if (!strcmp(a, "--goal")) {
      goal_text = v;
    } else if (!strcmp(a, "--goal-index")) {
      ok = parse_long(a, v, 0, 1000000, &goal_index);
    } else if (!strcmp(a, "--steps")) {
      ok = parse_long(a, v, 0, MAML_VIEW_MAX_STEPS, &steps);
    } else if (!strcmp(a, "--adapt-episodes")) {
      ok = parse_long(a, v, 1, 65536, &episodes);
    } else if (!strcmp(a, "--alpha")) {
      ok = parse_double(a, v, 0, 100, &alpha);
    } else if (!strcmp(a, "--seed")) {
      ok = parse_long(a, v, 0, 2147483647, &seed);
    } else if (!strcmp(a, "--speed")) {
      ok = parse_double(a, v, 0, 100, &speed);
    } else if (!strcmp(a, "--size")) {
      ok = parse_size(v, &width, &height);
    } else if (!strcmp(a, "--record")) {
      record = v;
    } else if (!strcmp(a, "--fps")) {
      ok = parse_long(a, v, 1, 240, &fps);
    } else if (!strcmp(a, "--episodes")) {
      ok = parse_long(a, v, 1, 1000000, &stop_episodes);
    } else if (!strcmp(a, "--seconds")) {
      ok = parse_double(a, v, 0, 1e6, &seconds);
    } else if (!strcmp(a, "--frames")) {
      ok = parse_long(a, v, 1, 100000000, &frames);
    } else if (!strcmp(a, "--screenshot")) {
      shot = v;
    } else if (!strcmp(a, "--screenshot-dir")) {
      shot_dir = v;
    } else if (!strcmp(a, "--assets")) {
      assets = v;
    } else if (!strcmp(a, "--matmul")) {
      matmul = v;
      ok = cmd_matmul_known("maml view", v, "--matmul");
    } else if (cmd_random_option("maml view", a, v, &rnd, &ok)) {
      /* --random-hidden, --random-activation: ok says whether v was read */
    } else {
      fprintf(stderr, "maml view: unknown option '%s' (see --help)\n", a);
      return 2;
    }
    if (!ok) return 2;
  }
  if (!source) {
    fprintf(stderr, "maml view: give a run directory, a checkpoint or `random` (see --help)\n");
    return 2;
  }
  if (!record && !maml_view_have_display()) {
    fprintf(stderr,
            "maml view: no display (DISPLAY and WAYLAND_DISPLAY are empty), so no window. "
            "Run it under a virtual X display (recording renders through OpenGL too, so it "
            "needs one as well):\n"
            "  xvfb-run -a maml view %s                    (a window no one sees)\n"
            "  xvfb-run -a maml view %s --record out.mp4   (a video; needs ffmpeg)\n"
            "  xvfb-run -a maml view %s --record frames/   (PNG frames)\n",
            source, source, source);
    return 2;
  }
  if (record && !frames && !seconds && !stop_episodes) stop_episodes = 2;
  char matmul_buf[160];
  const char *matmul_from = "--matmul";
  if (!matmul) matmul = cmd_matmul_fallback(matmul_buf, sizeof matmul_buf, &matmul_from);
  if (!cmd_use_matmul("maml view", matmul, matmul_from)) return 2;

  cmd_policy cp;
  memset(&cp, 0, sizeof cp);
  char ckpt[PATH_LEN], err[8192], random_label[192];
  int is_random = !strcmp(source, "random");
  if (is_random) {
    if (!env_arg) {
      fprintf(stderr, "maml view: a random policy needs --env FAMILY (one of %s)\n",
              maml_env_names());
      return 2;
    }
    snprintf(cp.env, sizeof cp.env, "%s", env_arg);
  } else if (rnd.hidden_given || rnd.activation_given) {
    fprintf(stderr, "maml view: --random-%s is for `random` only: %s has its own network\n",
            rnd.hidden_given ? "hidden" : "activation", source);
    return 2;
  } else {
    if (!cmd_checkpoint_path(source, ckpt, sizeof ckpt)) {
      fprintf(stderr, "maml view: '%s': path too long\n", source);
      return 2;
    }
    if (!cmd_load_policy(ckpt, &cp, err, sizeof err)) {
      fprintf(stderr, "maml view: %s\n", err);
      return 1;
    }
    if (cp.notice[0]) fprintf(stderr, "maml view: note: %s\n", cp.notice);
    if (env_arg && strcmp(env_arg, cp.env) != 0) {
      char diff[2048] = "";
      cmd_family_difference(cp.env, env_arg, diff, sizeof diff);
      fprintf(stderr, "maml view: %s was trained on %s, not on --env %s%s\n", ckpt, cp.env, env_arg,
              diff);
      free(cp.theta);
      return 2;
    }
  }
  const maml_env_family *f = maml_env_find(cp.env);
  if (!f) { /* a checkpoint of a family this process does not know (a family file's) */
    fprintf(stderr, "maml view: unknown family '%s' (the families are %s): name its family file "
                    "with --env FILE\n", cp.env, maml_env_names());
    free(cp.theta);
    return 2;
  }
  maml_view_params vp = {.policy_label = is_random ? "random (fresh initialisation)" : ckpt,
                         .oracle = cp.oracle,
                         .goal_index = (int)goal_index,
                         .mean_actions = mean,
                         .speed = speed,
                         .width = width,
                         .height = height,
                         .record = record,
                         .fps = (int)fps,
                         .frames = frames,
                         .seconds = seconds,
                         .episodes = (int)stop_episodes,
                         .screenshot = shot,
                         .screenshot_dir = shot_dir,
                         .show_help = keys,
                         .hide_overlay = no_overlay};
  vp.ep = (maml_eval_params){
      .episodes =
          episodes > 0 ? (int)episodes : maml_env_preset_value(f, MAML_PRESET_EVAL_EPISODES),
      .steps = cp.oracle    ? 0
               : steps >= 0 ? (int)steps
                            : maml_env_preset_value(f, MAML_PRESET_EVAL_STEPS),
      .horizon = f->horizon,
      .alpha = alpha > 0      ? alpha
               : cp.alpha > 0 ? cp.alpha
                              : 0.1,
      .gamma = 0.99,
      .gae_lambda = 1.0,
      .seed = (uint64_t)seed};
  if (goal_text && f->kind->no_goal_flag) {
    fprintf(stderr, "maml view: --goal: %s cannot be named by --goal: it takes %s\n", f->name,
            f->goal_syntax);
    free(cp.theta);
    return 2;
  }
  if (goal_text) {
    maml_status parsed = extrapolate
                             ? maml_env_parse_task_outside(f, goal_text, vp.goal, err, sizeof err)
                             : f->parse_task(goal_text, vp.goal, err, sizeof err);
    if (parsed != MAML_OK) {
      fprintf(stderr, "maml view: --goal: %s\n", err);
      free(cp.theta);
      return 2;
    }
    vp.goal_given = 1;
  }

  int rc = 1;
  cmd_quiet_mujoco();
  maml_env_world world;
  maml_pool *pool = NULL;
  if (!cmd_open_world(&world, cp.env, cp.oracle, assets, "maml view")) {
    free(cp.theta);
    return 1;
  }
  if (is_random) { /* a fresh policy as `maml eval` makes it: the paper's 100-100 relu,
                    * unless --random-hidden and --random-activation say otherwise */
    static const int paper[2] = {100, 100};
    if (!cmd_random_policy("maml view", world.obs_dim, f->act_dim,
                           rnd.hidden_given ? rnd.set.n_hidden : 2,
                           rnd.hidden_given ? rnd.set.hidden : paper,
                           rnd.activation_given ? rnd.set.activation : MAML_ACT_RELU, vp.ep.seed,
                           &cp.policy, &cp.theta))
      goto done;
    char net[160];
    cmd_format_network(&cp.policy, net, sizeof net);
    snprintf(random_label, sizeof random_label, "random %s (fresh initialisation)", net);
    vp.policy_label = random_label;
    printf("maml view: random policy, a fresh %s network (seed %ld)\n", net, seed);
  }
  if (maml_pool_create(&pool, 1, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml view: %s\n", err);
    goto done;
  }
  if (record) {
    if (record[strlen(record) - 1] == '/' && cmd_make_dirs(record) != 0) {
      fprintf(stderr, "maml view: cannot create %s: %s\n", record, strerror(errno));
      goto done;
    }
    signal(SIGPIPE, SIG_IGN); /* a dead ffmpeg shows as a write error */
  }
  maml_view_result res;
  maml_status st = maml_view_run(&world, &cp.policy, cp.theta, &vp, pool, &res, err, sizeof err);
  if (st != MAML_OK) {
    fprintf(stderr, "maml view: %s\n", err);
    rc = st == MAML_ERR_ARG ? 2 : 1;
    goto done;
  }
  if (record)
    printf("maml view: %ld frames to %s (%d episodes, %d adaptation steps)\n", res.frames, record,
           res.episodes, res.steps_adapted);
  if (res.screenshot[0]) printf("maml view: screenshot %s\n", res.screenshot);
  rc = 0;
done:
  maml_pool_destroy(pool);
  maml_env_world_close(&world);
  free(cp.theta);
  return rc;
}

#endif
