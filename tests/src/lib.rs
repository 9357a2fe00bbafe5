//! Test harness: isolated databases cloned from a migrated template, the real server on port 0.
