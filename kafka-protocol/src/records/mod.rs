//! Record batches (message format v2), legacy message sets, compression and CRC.
//! (Placeholder: filled in by its own change.)
