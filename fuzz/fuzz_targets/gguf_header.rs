//! A model file's header as a hostile or truncated download would present
//! it: checked and read, then its architecture and tokenizer entries
//! decoded and a tokenizer built. Never a panic or an allocation beyond the
//! input, whatever the bytes.
#![no_main]

use std::io::Cursor;

use auravest_ai::llm::gemma3::Gemma3Config;
use auravest_ai::llm::gguf_header::read_header;
use auravest_ai::llm::gguf_tokenizer::tokenizer_from_gguf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(content) = read_header(&mut Cursor::new(data)) else {
        return;
    };
    assert!(content.tensor_infos.len() <= data.len());
    let _ = Gemma3Config::from_metadata(&content.metadata);
    if let Ok((tokenizer, vocab)) = tokenizer_from_gguf(&content) {
        assert!(!vocab.is_empty());
        let _ = tokenizer.encode("AuraVest ▁ 123 $AAPL", false);
    }
});
