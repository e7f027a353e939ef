/* keys.h — the one place that assigns key prefixes.
 *
 * Every key of the store starts with one prefix byte naming its concept.  Numbers inside
 * keys are fixed-width big-endian so memcmp order is numeric order.  A concept file owns
 * the layout of the keys under its prefix and documents it beside its code. */
#ifndef CD_KEYS_H
#define CD_KEYS_H

enum cd_key_prefix {
    CDK_META          = 0x01, /* store metadata: format version, token secret, counters */
    CDK_SCHEMA        = 'S',  /* schema records, by internal schema number */
    CDK_SCHEMA_NAME   = 's',  /* schema lookup by kind + name + version */
    CDK_FACET         = 'F',  /* facets, by schema number + facet name */
    CDK_LINK_FACET    = 'L',  /* typed-link facets, by schema number + name */
    CDK_DIRECTORY     = 'D',  /* directory records, by internal directory number */
    CDK_DIRECTORY_ID  = 'd',  /* directory number by external DirectoryId */
    CDK_DIRECTORY_NAME= 'n',  /* live directory by name (uniqueness) */
    CDK_TAG           = 'G',  /* tags, by directory number + key */
    CDK_CHILD         = 'C',  /* child links, by parent object number + link name */
    /* Objects, by internal object number: the record, then the object's own sub-keys (enum
     * cd_object_subkey; object.h).  This range must stay the LAST of the store: new objects
     * append at its end, and an append at the very end of the tree makes LMDB split pages
     * so that the old page stays full (elsewhere it splits in the middle, leaving leaves
     * half empty: about 20% more store per object).  Give later prefixes values below it. */
    CDK_OBJECT        = '~',
};

/* Sub-keys of one object: ~ | oid(8) | tag | ...  Everything kept under an object's number
 * sits right after its record, so creating an object appends to one place and deleting it
 * clears one range.  A link between two objects is kept under each end that must find it
 * (a child link under the parent's C key; a typed link under the source's 'T' and the
 * target's 't'). */
enum cd_object_subkey {
    CDO_INDEX_OF      = 'I',  /* indexes the object is attached to (index.c) */
    CDO_PARENT        = 'P',  /* parent links: parent oid + link name */
    CDO_TYPED_OUT     = 'T',  /* typed links from the object (typedlink.c) */
    CDO_VALUE         = 'V',  /* attribute values: schema + facet + name (attribute.h) */
    CDO_INDEX_ENTRY   = 'X',  /* an index object's entries (index.c) */
    CDO_POLICY_ON     = 'Y',  /* policies attached to the object (policy.c) */
    CDO_TYPED_IN      = 't',  /* typed links to the object (typedlink.c) */
    CDO_POLICY_TO     = 'y',  /* objects a policy object is attached to (policy.c) */
};

#endif
