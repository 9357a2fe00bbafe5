//! Feed adapters and the sync engine (see the importer issue).
