#ifndef HUTCH_OVL_SETUP_H
#define HUTCH_OVL_SETUP_H

#include "error.h"
#include "ovl.h"

/* Open upper, work and lower dirs from fs->opts and check them against
 * each other and the mount point. */
int ovl_setup_layers(struct ovl_fs *fs, const char *mountpoint, hutch_error *err);

/* Remove name under dfd with everything in it (best effort). */
void ovl_remove_dir_tree(int dfd, const char *name);

#endif
