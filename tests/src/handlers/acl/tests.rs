//! Unit tests for the per-item ACL split and merge.
