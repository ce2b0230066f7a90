//! One harness for the local CDN: objects over moto, signed mode, the player API, and the
//! player page in Chromium.

mod browser;
mod browser_av1;
mod objects;
mod player_api;
mod signed;
mod support;
