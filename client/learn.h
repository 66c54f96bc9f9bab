/* unotifyctl learn (learn.c). */
#pragma once

/* The recording names a listener's recording has (the daemon's key). */
#define LEARN_META_NAME "unotify.learn"
/* The policy that records unless --policy names another. */
#define LEARN_DEFAULT_POLICY "learn"

/* argv[0] is "learn". Returns the exit status (sysexits, or CMD's). */
int cmd_learn(int argc, char **argv);
