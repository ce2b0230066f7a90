//! The player page in Chromium: see the next commit.
