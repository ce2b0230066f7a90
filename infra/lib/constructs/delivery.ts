/**
 * CloudFront in front of the private output bucket: Origin Access Control, a short-TTL cache
 * policy for manifests and a long-TTL one for segments/images, CORS and security headers (from
 * `docs/contracts/cdn-response-headers.json`, as the local CDN sends them), HTTPS only, and an
 * optional trusted key group for signed URLs/cookies.
 *
 * Cache keys never include the query string: the signing parameters (`Expires`, `Signature`,
 * `Key-Pair-Id`, `Policy`) differ per viewer, so keying on them would drop the hit rate to 0%.
 * CloudFront still sees them for signature verification; it just does not cache by them.
 */
import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CDN_RESPONSE_HEADERS_CONTRACT_FILE, CdnResponseHeadersContract, readJson } from '../contracts';

/** Path patterns of playlists/manifests, which change while a title is (re)published. */
export const MANIFEST_PATH_PATTERNS = ['*.m3u8', '*.mpd'] as const;

export interface DeliveryProps {
  readonly outputBucket: s3.IBucket;
  readonly logBucket: s3.IBucket;
  /** Custom host name and its ACM certificate (us-east-1); enables the TLS 1.2 minimum. */
  readonly domainName?: string;
  readonly certificateArn?: string;
  readonly webAclArn?: string;
  /** When set, every behaviour requires a URL or cookie signed by this key. */
  readonly signingPublicKeyPem?: string;
}

export class Delivery extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** `https://<host>` viewers (and playback URLs on asset records) use. */
  readonly baseUrl: string;
  readonly publicKey?: cloudfront.PublicKey;
  readonly manifestCachePolicy: cloudfront.CachePolicy;
  readonly segmentCachePolicy: cloudfront.CachePolicy;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);

    const noQueryStringKey = {
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    };
    this.manifestCachePolicy = new cloudfront.CachePolicy(this, 'ManifestCache', {
      comment: 'HLS/DASH manifests: short TTL; query strings (signatures) excluded from the key',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(5),
      maxTtl: Duration.seconds(60),
      ...noQueryStringKey,
    });
    this.segmentCachePolicy = new cloudfront.CachePolicy(this, 'SegmentCache', {
      comment: 'Segments, captions, thumbnails: immutable once written; query strings excluded',
      minTtl: Duration.days(1),
      defaultTtl: Duration.days(365),
      maxTtl: Duration.days(365),
      ...noQueryStringKey,
    });

    // The same CORS and security headers the local CDN sends (one file, written by its tests).
    // `*` without credentials: a page on another origin reads with signed URLs, never with the
    // signed cookies, which work for pages on this distribution's own domain.
    const contract = readJson<CdnResponseHeadersContract>(CDN_RESPONSE_HEADERS_CONTRACT_FILE);
    const cors: cloudfront.ResponseHeadersCorsBehavior = {
      accessControlAllowOrigins: contract.cors.allowOrigins,
      accessControlAllowMethods: contract.cors.allowMethods,
      accessControlAllowHeaders: contract.cors.allowHeaders,
      accessControlExposeHeaders: contract.cors.exposeHeaders,
      accessControlAllowCredentials: contract.cors.allowCredentials,
      accessControlMaxAge: Duration.seconds(contract.cors.maxAgeSeconds),
      originOverride: contract.cors.originOverride,
    };
    const hsts = contract.security.strictTransportSecurity;
    const headersFor = (name: string, cacheControl: string) =>
      new cloudfront.ResponseHeadersPolicy(this, name, {
        comment: `CORS for web players; Cache-Control: ${cacheControl}`,
        corsBehavior: cors,
        customHeadersBehavior: {
          customHeaders: [{ header: 'Cache-Control', value: cacheControl, override: false }],
        },
        securityHeadersBehavior: {
          ...(contract.security.contentTypeOptions ? { contentTypeOptions: { override: true } } : {}),
          strictTransportSecurity: {
            accessControlMaxAge: Duration.seconds(hsts.maxAgeSeconds),
            includeSubdomains: hsts.includeSubdomains,
            override: true,
          },
        },
      });
    const manifestHeaders = headersFor('ManifestHeaders', 'public, max-age=5');
    const segmentHeaders = headersFor('SegmentHeaders', 'public, max-age=31536000, immutable');

    let trustedKeyGroups: cloudfront.IKeyGroup[] | undefined;
    if (props.signingPublicKeyPem !== undefined) {
      this.publicKey = new cloudfront.PublicKey(this, 'SigningKey', {
        encodedKey: props.signingPublicKeyPem,
        comment: 'Verifies signed URLs/cookies; its id is the Key-Pair-Id',
      });
      trustedKeyGroups = [new cloudfront.KeyGroup(this, 'SigningKeyGroup', {
        items: [this.publicKey],
        comment: 'Signers trusted for VOD playback',
      })];
    }

    const origin = origins.S3BucketOrigin.withOriginAccessControl(props.outputBucket, {
      originAccessLevels: [cloudfront.AccessLevel.READ],
    });
    const behaviour = (
      cachePolicy: cloudfront.ICachePolicy,
      responseHeadersPolicy: cloudfront.IResponseHeadersPolicy,
    ): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
      cachePolicy,
      responseHeadersPolicy,
      compress: true,
      trustedKeyGroups,
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'VOD playback',
      defaultBehavior: behaviour(this.segmentCachePolicy, segmentHeaders),
      additionalBehaviors: Object.fromEntries(MANIFEST_PATH_PATTERNS.map(
        (pattern) => [pattern, behaviour(this.manifestCachePolicy, manifestHeaders)],
      )),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // The TLS minimum only applies with a custom certificate: the default *.cloudfront.net
      // certificate's policy is fixed by CloudFront (see the CFR4 note in lib/nag.ts).
      ...(props.certificateArn && props.domainName ? {
        domainNames: [props.domainName],
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
        minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      } : {}),
      webAclId: props.webAclArn,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.baseUrl = `https://${props.domainName ?? this.distribution.distributionDomainName}`;
  }
}
