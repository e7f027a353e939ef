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

/* parent must be a NODE: InvalidAttachmentException otherwise. */
int cd_hierarchy_check_parent(cd_ctx *c, const cd_directory *d, const cd_object *parent,
                              const char *member);
/* Under limits = "aws": attaching something `height` links tall (0 for a childless object)
 * under parent must not make a path longer than 15 links (LimitExceededException). */
int cd_hierarchy_check_depth(cd_ctx *c, const cd_directory *d, const cd_object *parent,
                             int height);
/* Creates link parent --name--> child (C and P entries).  The caller has checked the
 * topology; LinkNameAlreadyInUseException when the name is taken under parent. */
int cd_link_add(cd_ctx *c, const cd_object *parent, const cd_object *child, const char *name,
                size_t n);

#endif
