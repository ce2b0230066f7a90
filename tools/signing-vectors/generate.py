#!/usr/bin/env python3
"""Generate CloudFront signing test vectors for `crates/vod-signing`.

The expected values come from botocore's `CloudFrontSigner` (the reference
signer used by boto3 / the AWS CLI), so the Rust crate is checked for
byte-for-byte compatibility with it.  Signed cookies have no botocore helper;
their values are built from the same botocore pieces (`build_policy`,
`_url_b64encode` and the RSA-SHA1 signer), which is exactly what the cookie
values are.

Usage (see README.md next to this file):

    python3 -m venv /tmp/sign-venv
    /tmp/sign-venv/bin/pip install botocore cryptography
    /tmp/sign-venv/bin/python tools/signing-vectors/generate.py

The key used is the committed, throwaway TEST-ONLY key under
crates/vod-signing/tests/data/. It protects nothing.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import sys

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "crates" / "vod-signing" / "tests" / "data"
KEY_FILE = "TEST-ONLY-DO-NOT-USE.rsa-private.pkcs1.pem"
OUT_FILE = DATA / "vectors.json"

KEY_PAIR_ID = "K2TESTONLYEXAMPLE"
BASE = "https://d111111abcdef8.cloudfront.net"
# 2030-01-01T00:00:00Z and 2029-12-01T00:00:00Z
EXPIRES = 1893456000
NOT_BEFORE = 1890777600


def utc(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)


def main() -> int:
    key = serialization.load_pem_private_key(
        (DATA / KEY_FILE).read_bytes(), password=None
    )

    def rsa_signer(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    signer = CloudFrontSigner(KEY_PAIR_ID, rsa_signer)
    b64 = signer._url_b64encode  # CloudFront's URL-safe base64

    cases = []

    def canned_url(name: str, url: str) -> None:
        cases.append(
            {
                "name": name,
                "kind": "canned_url",
                "url": url,
                "expires": EXPIRES,
                "policy": signer.build_policy(url, utc(EXPIRES)),
                "expected_url": signer.generate_presigned_url(
                    url, date_less_than=utc(EXPIRES)
                ),
            }
        )

    def custom_url(name, url, resource, not_before=None, ip=None) -> None:
        policy = signer.build_policy(
            resource,
            utc(EXPIRES),
            date_greater_than=utc(not_before) if not_before else None,
            ip_address=ip,
        )
        cases.append(
            {
                "name": name,
                "kind": "custom_url",
                "url": url,
                "resource": resource,
                "expires": EXPIRES,
                "not_before": not_before,
                "ip_address": ip,
                "policy": policy,
                "expected_url": signer.generate_presigned_url(url, policy=policy),
            }
        )

    def custom_cookies(name, resource, not_before=None, ip=None) -> None:
        policy = signer.build_policy(
            resource,
            utc(EXPIRES),
            date_greater_than=utc(not_before) if not_before else None,
            ip_address=ip,
        )
        raw = policy.encode("utf8")
        cases.append(
            {
                "name": name,
                "kind": "custom_cookies",
                "resource": resource,
                "expires": EXPIRES,
                "not_before": not_before,
                "ip_address": ip,
                "policy": policy,
                "expected_cookies": {
                    "CloudFront-Policy": b64(raw).decode(),
                    "CloudFront-Signature": b64(rsa_signer(raw)).decode(),
                    "CloudFront-Key-Pair-Id": KEY_PAIR_ID,
                },
            }
        )

    def canned_cookies(name, resource) -> None:
        policy = signer.build_policy(resource, utc(EXPIRES))
        raw = policy.encode("utf8")
        cases.append(
            {
                "name": name,
                "kind": "canned_cookies",
                "resource": resource,
                "expires": EXPIRES,
                "policy": policy,
                "expected_cookies": {
                    "CloudFront-Expires": str(EXPIRES),
                    "CloudFront-Signature": b64(rsa_signer(raw)).decode(),
                    "CloudFront-Key-Pair-Id": KEY_PAIR_ID,
                },
            }
        )

    master = f"{BASE}/assets/abc123/hls/master.m3u8"
    canned_url("canned_url_no_query", master)
    canned_url("canned_url_with_query", master + "?session=42&lang=en")
    custom_url(
        "custom_url_wildcard_not_before_ip",
        master,
        f"{BASE}/assets/abc123/*",
        not_before=NOT_BEFORE,
        ip="203.0.113.0/24",
    )
    custom_url(
        "custom_url_with_query_single_ip",
        master + "?session=42",
        f"{BASE}/assets/abc123/hls/master.m3u8?session=4?",
        ip="198.51.100.7",  # botocore appends /32
    )
    custom_url(
        "custom_url_only_date_less_than",
        f"{BASE}/assets/abc123/dash/manifest.mpd",
        f"{BASE}/assets/abc123/*",
    )
    custom_url(
        "custom_url_non_ascii_resource",
        f"{BASE}/assets/caf\u00e9/\U0001F3AC.m3u8",
        f"{BASE}/assets/caf\u00e9/\U0001F3AC*",
    )
    custom_cookies("custom_cookies_prefix", f"{BASE}/assets/abc123/*")
    custom_cookies(
        "custom_cookies_not_before_ip",
        f"{BASE}/assets/abc123/*",
        not_before=NOT_BEFORE,
        ip="203.0.113.0/24",
    )
    canned_cookies("canned_cookies_single_object", master)

    doc = {
        "_comment": "Generated by tools/signing-vectors/generate.py with botocore "
        "CloudFrontSigner; do not edit by hand. The key is a TEST-ONLY throwaway key.",
        "botocore_version": __import__("botocore").__version__,
        "key_pair_id": KEY_PAIR_ID,
        "private_key_file": KEY_FILE,
        "cases": cases,
    }
    OUT_FILE.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
