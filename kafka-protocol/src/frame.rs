//! Request and response framing: the INT32 size prefix and the request/response headers.
