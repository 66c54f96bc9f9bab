/* The new-API calls of the mount handler on detached mounts and trees:
 * move_mount, open_tree, mount_setattr (what each may do: mount_api_fs.c's
 * opening comment). */
#pragma once

struct api;

int mount_api_move_mount(struct api *x);
int mount_api_open_tree(struct api *x);
int mount_api_mount_setattr(struct api *x);
