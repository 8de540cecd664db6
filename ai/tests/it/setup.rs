//! The saved index is reused while the knowledge base is unchanged and
//! rebuilt when it changes.

use auravest_ai::setup::Setup;

const ARTICLE: &str = "---\nid: one\ntitle: One\ntags: [a]\n---\n\nAn index fund tracks a market benchmark at low cost.\n\n## Key points\n- Index funds are cheap.\n";

#[test]
fn the_index_follows_the_knowledge_base_content_hash() {
    let kb = tempfile::tempdir().unwrap();
    std::fs::write(kb.path().join("one.md"), ARTICLE).unwrap();
    let setup = Setup {
        kb_dir: Some(kb.path().to_path_buf()),
        hash_embedder: true,
        ..Setup::default()
    };
    let (_, first) = setup.build(&|_, _| {}).unwrap();
    assert!(!first.loaded);
    let path = first
        .index_path
        .clone()
        .expect("saved next to the knowledge base");
    assert!(path.starts_with(kb.path().join(".index")), "{path:?}");
    let (_, second) = setup.build(&|_, _| {}).unwrap();
    assert!(second.loaded);
    std::fs::write(
        kb.path().join("one.md"),
        ARTICLE.replace("low cost", "very low cost"),
    )
    .unwrap();
    let (_, third) = setup.build(&|_, _| {}).unwrap();
    assert!(!third.loaded, "a changed article rebuilds the index");
    assert_ne!(third.kb_hash, first.kb_hash);
    let (_, forced) = Setup {
        rebuild: true,
        ..setup.clone()
    }
    .build(&|_, _| {})
    .unwrap();
    assert!(!forced.loaded);
    // A broken article is an error naming the file and line.
    std::fs::write(kb.path().join("two.md"), "no front matter").unwrap();
    let e = setup.build(&|_, _| {}).unwrap_err().to_string();
    assert!(e.contains("two.md:1"), "{e}");
}
