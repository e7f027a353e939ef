/* error.h — errors are values: an AWS exception code plus a message a person can act on.
 * C code never longjmps; every fallible function returns an int status (0 = ok, else the
 * cd_code it also stored in the cd_error). */
#ifndef CD_ERROR_H
#define CD_ERROR_H

#include <stdint.h>

/* The API's exceptions, in the order of the model, plus two internal codes. */
#define CD_ERROR_CODES(X) \
    X(AccessDeniedException) \
    X(BatchWriteException) \
    X(CannotListParentOfRootException) \
    X(DirectoryAlreadyExistsException) \
    X(DirectoryDeletedException) \
    X(DirectoryNotDisabledException) \
    X(DirectoryNotEnabledException) \
    X(FacetAlreadyExistsException) \
    X(FacetInUseException) \
    X(FacetNotFoundException) \
    X(FacetValidationException) \
    X(IncompatibleSchemaException) \
    X(IndexedAttributeMissingException) \
    X(InternalServiceException) \
    X(InvalidArnException) \
    X(InvalidAttachmentException) \
    X(InvalidFacetUpdateException) \
    X(InvalidNextTokenException) \
    X(InvalidRuleException) \
    X(InvalidSchemaDocException) \
    X(InvalidTaggingRequestException) \
    X(LimitExceededException) \
    X(LinkNameAlreadyInUseException) \
    X(NotIndexException) \
    X(NotNodeException) \
    X(NotPolicyException) \
    X(ObjectAlreadyDetachedException) \
    X(ObjectNotDetachedException) \
    X(ResourceNotFoundException) \
    X(RetryableConflictException) \
    X(SchemaAlreadyExistsException) \
    X(SchemaAlreadyPublishedException) \
    X(StillContainsLinksException) \
    X(UnsupportedIndexTypeException) \
    X(ValidationException) \
    /* not API exceptions: */ \
    X(NotImplementedException)   /* operation shape-checked but not available yet */ \
    X(StoreError)                /* the store itself failed: I/O, disk full, closed handle */

typedef enum cd_code {
    CD_OK = 0,
#define CD_X(name) CD_E_##name,
    CD_ERROR_CODES(CD_X)
#undef CD_X
    CD_E__COUNT
} cd_code;

/* Internal signal, never seen by callers: the LMDB map is full; the engine grows it and
 * retries the whole call. */
#define CD_E_MAP_FULL (-1)

typedef struct cd_error {
    int code;            /* cd_code */
    char message[512];
    /* BatchWriteException only: */
    int64_t index;       /* 0-based position of the failing operation */
    int type;            /* cd_code of the failing operation */
} cd_error;

const char *cd_code_name(int code);          /* "ValidationException"; "" for CD_OK */
int cd_code_from_name(const char *name);     /* CD_OK when unknown */
/* Sets code and message; returns code so callers can `return cd_fail(err, ...)`. */
int cd_fail(cd_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cd_error_clear(cd_error *err);

#endif
