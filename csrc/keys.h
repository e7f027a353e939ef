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
    CDK_OBJECT        = 'O',  /* object records, by internal object number */
    CDK_ATTRIBUTE     = 'V',  /* attribute values, by object number + schema + facet + name */
    CDK_CHILD         = 'C',  /* child links, by parent object number + link name */
    CDK_PARENT        = 'P',  /* parent links, by child object number + parent + link name */
    CDK_TYPED_OUT     = 'T',  /* typed links by source (later) */
    CDK_TYPED_IN      = 't',  /* typed links by target (later) */
    CDK_INDEX_ENTRY   = 'I',  /* index entries (later) */
    CDK_INDEX_OF      = 'i',  /* indexes an object is attached to (later) */
    CDK_POLICY_ON     = 'Y',  /* policy attachments by object (later) */
    CDK_POLICY_TO     = 'y',  /* policy attachments by policy (later) */
};

#endif
