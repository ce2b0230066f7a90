#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(data, Some(vod_probe::Family::MpegTs { packet: 188, offset: 0 }));
});
