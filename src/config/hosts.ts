// The host allowlist (ARBITER_AGENT_HOSTS) for everything Arbiter calls over the network on an
// operator's behalf: `http` agents and MCP tool servers. Kept here, beside the other settings, so
// the agents-file loader can refuse a host before a worker starts and the callers check it again
// before every request.

export const HOSTS_ENV = 'ARBITER_AGENT_HOSTS';

const defaultPort = (protocol: string): string => (protocol === 'https:' ? '443' : '80');

/** True when ARBITER_AGENT_HOSTS is unset or lists the URL's host (any port) or host:port. */
export function hostAllowed(url: URL, allowlist: string | undefined): boolean {
  if (allowlist === undefined || allowlist.trim() === '') return true;
  const host = url.hostname.toLowerCase();
  const port = url.port || defaultPort(url.protocol);
  return allowlist
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '')
    .some((entry) => {
      let allowedHost: string;
      try {
        allowedHost = new URL(`http://${entry}`).hostname;
      } catch {
        return false;
      }
      const allowedPort = /:(\d+)$/.exec(entry)?.[1];
      return allowedHost === host && (allowedPort === undefined || Number(allowedPort) === Number(port));
    });
}
