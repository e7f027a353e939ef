/* operations.h — the 66 operations of the API (2017-01-11), in alphabetical order.
 * X(name, writes): writes = 1 when the operation needs a write transaction. */
#ifndef CD_OPERATIONS_H
#define CD_OPERATIONS_H

#define CD_OPERATIONS(X) \
    X(AddFacetToObject, 1) \
    X(ApplySchema, 1) \
    X(AttachObject, 1) \
    X(AttachPolicy, 1) \
    X(AttachToIndex, 1) \
    X(AttachTypedLink, 1) \
    X(BatchRead, 0) \
    X(BatchWrite, 1) \
    X(CreateDirectory, 1) \
    X(CreateFacet, 1) \
    X(CreateIndex, 1) \
    X(CreateObject, 1) \
    X(CreateSchema, 1) \
    X(CreateTypedLinkFacet, 1) \
    X(DeleteDirectory, 1) \
    X(DeleteFacet, 1) \
    X(DeleteObject, 1) \
    X(DeleteSchema, 1) \
    X(DeleteTypedLinkFacet, 1) \
    X(DetachFromIndex, 1) \
    X(DetachObject, 1) \
    X(DetachPolicy, 1) \
    X(DetachTypedLink, 1) \
    X(DisableDirectory, 1) \
    X(EnableDirectory, 1) \
    X(GetAppliedSchemaVersion, 0) \
    X(GetDirectory, 0) \
    X(GetFacet, 0) \
    X(GetLinkAttributes, 0) \
    X(GetObjectAttributes, 0) \
    X(GetObjectInformation, 0) \
    X(GetSchemaAsJson, 0) \
    X(GetTypedLinkFacetInformation, 0) \
    X(ListAppliedSchemaArns, 0) \
    X(ListAttachedIndices, 0) \
    X(ListDevelopmentSchemaArns, 0) \
    X(ListDirectories, 0) \
    X(ListFacetAttributes, 0) \
    X(ListFacetNames, 0) \
    X(ListIncomingTypedLinks, 0) \
    X(ListIndex, 0) \
    X(ListManagedSchemaArns, 0) \
    X(ListObjectAttributes, 0) \
    X(ListObjectChildren, 0) \
    X(ListObjectParentPaths, 0) \
    X(ListObjectParents, 0) \
    X(ListObjectPolicies, 0) \
    X(ListOutgoingTypedLinks, 0) \
    X(ListPolicyAttachments, 0) \
    X(ListPublishedSchemaArns, 0) \
    X(ListTagsForResource, 0) \
    X(ListTypedLinkFacetAttributes, 0) \
    X(ListTypedLinkFacetNames, 0) \
    X(LookupPolicy, 0) \
    X(PublishSchema, 1) \
    X(PutSchemaFromJson, 1) \
    X(RemoveFacetFromObject, 1) \
    X(TagResource, 1) \
    X(UntagResource, 1) \
    X(UpdateFacet, 1) \
    X(UpdateLinkAttributes, 1) \
    X(UpdateObjectAttributes, 1) \
    X(UpdateSchema, 1) \
    X(UpdateTypedLinkFacet, 1) \
    X(UpgradeAppliedSchema, 1) \
    X(UpgradePublishedSchema, 1)

typedef enum cd_op {
#define CD_X(name, writes) CD_OP_##name,
    CD_OPERATIONS(CD_X)
#undef CD_X
    CD_OP__COUNT
} cd_op;

const char *cd_op_name(int op);          /* NULL when out of range */
int cd_op_lookup(const char *name);      /* -1 when unknown */
int cd_op_writes(int op);

#endif
