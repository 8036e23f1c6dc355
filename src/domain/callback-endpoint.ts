/**
 * The endpoint a callback goes to: its URL's origin (scheme, host, port), so that the
 * callbacks of one merchant's server are one endpoint whatever their paths and query
 * strings (shop plugins often put the order in the callback URL). When one of its
 * callbacks is delivered, the endpoint is up, and its waiting retries can go out now.
 * A URL the WHATWG parser refuses, or one without an origin, is its own endpoint.
 */
export function endpointOf(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? url : origin;
  } catch {
    return url;
  }
}
