package org.dirkms.agent.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.RFC4519Style;

/**
 * Conversions between directory DNs and X.509 names. The URLs that point at CA entries are
 * {@link org.dirkms.schema.CrlDistributionPoints}'.
 */
final class CaNames {
    private CaNames() {
    }

    /**
     * The X.509 name of the RFC 4514 string {@code dn}. RFC 4514 writes the RDN sequence last
     * element first; {@link RFC4519Style} reverses it, so the certificate's name and the
     * entry's DN are the same name and dirmngr finds the issuer by reading the entry named
     * like the issuer. {@code dc} values become IA5Strings as RFC 4519 section 2.4 requires.
     *
     * @throws IllegalArgumentException if {@code dn} is not a DN
     */
    static X500Name x500Name(String dn) {
        if (dn == null || dn.isBlank()) {
            throw new IllegalArgumentException("a subject DN is required");
        }
        try {
            return new X500Name(RFC4519Style.INSTANCE, dn);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + dn + "' is not a distinguished name (RFC 4514)", e);
        }
    }

    /** The RFC 4514 string of {@code name}. */
    static String dn(X500Name name) {
        return RFC4519Style.INSTANCE.toString(X500Name.getInstance(RFC4519Style.INSTANCE, name));
    }
}
