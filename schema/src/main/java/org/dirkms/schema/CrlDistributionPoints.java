package org.dirkms.schema;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The URLs that name where a CA's CRL is read ({@code kmsCrlDistributionPoint} on the CA entry,
 * the CRL distribution point of every certificate the CA issues, RFC 5280 section 4.2.1.13).
 *
 * <p>The LDAP form is {@code ldap://host:port/<CA DN>?certificateRevocationList;binary?base}
 * (RFC 4516): with a host, a client asks that directory rather than searching its own from a
 * suffix, and with the {@code base} scope it reads the one CA entry, so the answer never meets a
 * search size limit however many entries the directory holds (docs/interoperability.md). The
 * HTTP form ({@code http://host/...}) is accepted as a further value.
 *
 * <p>The KMS agent builds the URLs and the directory checks every value written with
 * {@link #check}, so both judge them alike.
 */
public final class CrlDistributionPoints {
    private static final int LDAP_PORT = 389;
    private static final int LDAPS_PORT = 636;

    private CrlDistributionPoints() {
    }

    /**
     * {@code scheme://host:port} of the directory at {@code url}, an {@code ldap://} or
     * {@code ldaps://} URL with a host and nothing after it but an optional {@code /}; the port
     * is made explicit (389 or 636 when absent).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String server(String url) {
        URI uri = parse(url);
        String scheme = ldapScheme(uri, url);
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))) {
            throw new IllegalArgumentException("'" + url + "' is not the URL of a directory server: give only"
                    + " ldap://host:port");
        }
        return serverOf(uri, scheme);
    }

    /**
     * The URL of the CRL on the CA entry {@code caDn} in the directory {@code server}
     * ({@link #server}): {@code <server>/<caDn>?certificateRevocationList;binary?base}.
     */
    public static String ldap(String server, String caDn) {
        return ldapEntry(server, caDn, AttributeNames.CERTIFICATE_REVOCATION_LIST + ";binary");
    }

    /**
     * {@code <server>/<dn>?<attribute>?base}, the DN percent-encoded where RFC 4516 section 2.1
     * requires it (space, '?', '%', '/', '#', non-ASCII octets, ...): the URL of one attribute of
     * one entry.
     */
    public static String ldapEntry(String server, String dn, String attribute) {
        String base = server(server);
        StringBuilder url = new StringBuilder(base).append('/');
        for (byte b : dn.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~,=+;:@!$&'()*".indexOf(c) >= 0) {
                url.append((char) c);
            } else {
                url.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return url.append('?').append(attribute).append("?base").toString();
    }

    /**
     * {@code scheme://host:port} of an LDAP distribution point URL, or null when {@code url}
     * is an HTTP URL.
     *
     * @throws IllegalArgumentException if {@code url} fails {@link #check}
     */
    public static String serverOf(String url) {
        String dn = check(url);
        if (dn == null) {
            return null;
        }
        URI uri = parse(url);
        return serverOf(uri, ldapScheme(uri, url));
    }

    /**
     * {@code http://host[:port]} of {@code url}: the public HTTP base a server's certificates
     * name (its CRL, CA certificate and OCSP responder below it). Plain HTTP on purpose: RFC 5280
     * section 4.2.1.13 and RFC 6960 appendix A.1 name HTTP, and an HTTPS URL would need the
     * very revocation status it serves to check its own server.
     *
     * @throws IllegalArgumentException if it is not an {@code http://} URL with a host and no
     *         path, query or fragment
     */
    public static String httpBase(String url) {
        URI uri = parse(url);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            throw new IllegalArgumentException("'" + url + "' is not an http:// URL (give http://host:port)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the HTTP URL '" + url + "' names no host");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!(path.isEmpty() || path.equals("/")) || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("give the HTTP base as http://host:port, without '" + url
                    .substring(url.indexOf(uri.getRawAuthority()) + uri.getRawAuthority().length()) + "'");
        }
        return "http://" + uri.getRawAuthority();
    }

    /**
     * Checks that {@code url} is an {@code http://} URL with a host: what an authority
     * information access location of a CA records ({@code kmsOcspUrl}, {@code kmsCaIssuersUrl}).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void checkHttp(String url) {
        URI uri = parse(url);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") || uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("'" + url + "' is not an http:// URL with a host");
        }
    }

    /**
     * Checks that {@code url} is a distribution point every client can follow without
     * searching: an {@code ldap://} or {@code ldaps://} URL with a host, a non-empty DN, an
     * attribute and the {@code base} scope, or an {@code http://} URL with a host (RFC 5280
     * section 4.2.1.13: an HTTPS distribution point would need the CRL to check its own server).
     *
     * @return the DN of an LDAP URL (percent-decoded), null for an HTTP URL
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String check(String url) {
        URI uri = parse(url);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http")) {
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new IllegalArgumentException("the HTTP URL '" + url + "' names no host");
            }
            return null;
        }
        ldapScheme(uri, url);
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + url + "' is not an LDAP URL of RFC 4516");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String dn = path.startsWith("/") ? uri.getPath().substring(1) : "";
        if (dn.isBlank()) {
            throw new IllegalArgumentException("the LDAP URL '" + url + "' names no entry: give"
                    + " ldap://host:port/<CA DN>?certificateRevocationList;binary?base");
        }
        String[] query = uri.getRawQuery() == null ? new String[0] : uri.getRawQuery().split("\\?", -1);
        if (query.length < 1 || query[0].isEmpty()) {
            throw new IllegalArgumentException("the LDAP URL '" + url + "' names no attribute: add"
                    + " ?certificateRevocationList;binary?base");
        }
        if (query.length < 2 || !query[1].equalsIgnoreCase("base")) {
            throw new IllegalArgumentException("the LDAP URL '" + url + "' must have the scope base (RFC 4516"
                    + " section 2): a client then reads the CA entry only, instead of searching the tree");
        }
        return dn;
    }

    private static URI parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("a URL is required");
        }
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getReason());
        }
    }

    private static String ldapScheme(URI uri, String url) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ldap") && !scheme.equals("ldaps")) {
            throw new IllegalArgumentException("'" + url + "' is neither an ldap:// nor an http:// URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the LDAP URL '" + url + "' names no host: give ldap://host:port,"
                    + " the address clients reach the directory at");
        }
        return scheme;
    }

    private static String serverOf(URI uri, String scheme) {
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("ldaps") ? LDAPS_PORT : LDAP_PORT;
        return scheme + "://" + uri.getHost() + ":" + port;
    }
}
