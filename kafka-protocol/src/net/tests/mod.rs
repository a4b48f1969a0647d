//! Tests against scripted fake brokers.
