/* The rules for names in a layer tar, kept apart from the unpacker so they
 * can be tested on their own: which paths are acceptable at all, and which
 * entries are whiteouts (".wh.NAME": NAME is deleted from the layers below)
 * or opaque markers (".wh..wh..opq": the directory hides everything below). */
#ifndef HUTCH_IMAGE_WHITEOUT_H
#define HUTCH_IMAGE_WHITEOUT_H

#include <stddef.h>

#include "error.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

enum layer_entry_kind {
	LAYER_ENTRY_NORMAL = 0,
	LAYER_ENTRY_WHITEOUT, /* target names the deleted path */
	LAYER_ENTRY_OPAQUE,   /* target names the opaque directory ("" = root) */
	LAYER_ENTRY_IGNORED,  /* other reserved ".wh..wh." names (aufs metadata) */
};

/* Clean a tar entry name into a relative path inside the layer: leading
 * "./" and "/"s are refused only when they would change the meaning (an
 * absolute name is an error: honest layer tars never contain one), "."
 * components and repeated slashes are folded, and any ".." component is an
 * error. The root itself ("./") gives "". */
int layer_path_clean(const char *name, char *out, size_t size, hutch_error *err);

/* Classify a cleaned path. For whiteouts, target gets the path to delete;
 * the deleted name must be a plain name (not "", ".", ".." or with '/'). */
int layer_entry_classify(const char *clean, enum layer_entry_kind *kind, char *target, size_t tsize,
			 hutch_error *err);

#endif
