/* hierarchy.h — the tree of child links (keys in object.h): the rules every attachment
 * obeys, shared by CreateObject (create in place), AttachObject and later CreateIndex.
 *
 *   - only NODE objects have children (the root is a node);
 *   - a NODE, POLICY or INDEX object has at most one parent; a LEAF_NODE any number, even
 *     several links to the same parent;
 *   - the root is nobody's child, and no node is its own ancestor;
 *   - under limits = "aws" no path is longer than 15 links;
 *   - link names are unique under one parent. */
#ifndef CD_HIERARCHY_H
#define CD_HIERARCHY_H

#include "object.h"

/* parent must be a NODE: the exception `code` otherwise.  AttachObject lists
 * InvalidAttachmentException for this; CreateObject and CreateIndex, which create an object
 * in place under a parent, list only ValidationException of the codes that fit. */
int cd_hierarchy_check_parent(cd_ctx *c, const cd_directory *d, const cd_object *parent,
                              const char *member, int code);
/* Under limits = "aws": attaching something `height` links tall (0 for a childless object)
 * under parent must not make a path longer than 15 links (LimitExceededException). */
int cd_hierarchy_check_depth(cd_ctx *c, const cd_directory *d, const cd_object *parent,
                             int height);
/* Creates link parent --name--> child (C and P entries).  The caller has checked the
 * topology; LinkNameAlreadyInUseException when the name is taken under parent. */
int cd_link_add(cd_ctx *c, const cd_object *parent, const cd_object *child, const char *name,
                size_t n);

/* ---- paths from the root (ListObjectParentPaths, LookupPolicy) ---- */

/* One path, bottom-up: s[0] is the object, s[n - 1] the root.  name/n: the link from the
 * step's parent to it (empty for the root). */
typedef struct cd_path_step {
    uint64_t oid;
    unsigned char tag[8];
    const char *name;
    size_t n;
} cd_path_step;

typedef struct cd_path {
    cd_path_step *s;
    size_t n, cap;
} cd_path;

/* Sees one path that reaches the root.  at/an: where the path starts in the enumeration
 * (hand it back to cd_parent_paths as `resume`, e.g. in a page token, to start there; the
 * root's own path has an = 0); valid during the call only.  *stop ends the walk. */
typedef int (*cd_path_visitor)(cd_ctx *c, void *arg, const cd_path *p, const unsigned char *at,
                               size_t an, bool *stop);

/* Enumerates the paths from the root to o following child links only: one candidate per
 * parent link of o, in key order (parent number, then link name: stable while nothing
 * moves), each completed by walking up first parents; candidates that do not reach the
 * root (detached subtrees) are skipped.  The root has one path, "/".  resume (rn bytes, or
 * NULL) starts at a point a visitor was given; InvalidNextTokenException when it cannot be
 * one. */
int cd_parent_paths(cd_ctx *c, const cd_directory *d, const cd_object *o,
                    const unsigned char *resume, size_t rn, cd_path_visitor visit, void *arg);
/* Page tokens of a path enumeration: bound to object oid, holding the resume point (at/an)
 * a visitor was given.  _read gives the request's point (rn = 0 for the first page);
 * _set puts NextToken into resp. */
int cd_paths_token_read(cd_ctx *c, const cd_value *req, uint64_t oid,
                        const unsigned char **resume, size_t *rn);
int cd_paths_token_set(cd_ctx *c, cd_value *resp, uint64_t oid, const unsigned char *at,
                       size_t an);
/* "/a/b/c" (or "/") for a path, in the arena; NULL when out of memory. */
cd_value *cd_path_text(cd_ctx *c, const cd_path *p);

#endif
