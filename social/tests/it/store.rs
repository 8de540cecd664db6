//! The store conformance suite, run against the in-memory store.

mod memory_store {
    auravest_social::store_conformance_tests!(auravest_social::MemoryStore::new);
}
