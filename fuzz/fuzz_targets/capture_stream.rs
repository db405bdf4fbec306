//! The capture proxy's decoder on any client byte stream: startup, messages, the captured
//! workload rendered — never a panic, never a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgparity::capture::record::{render, Capture};

fuzz_target!(|data: &[u8]| {
    let capture = Capture::from_stream(data);
    let _ = render(&capture, 1, "fuzz", &|_| None);
});
