package org.dirkms.agent.names;

import java.util.Locale;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Ava;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;

/**
 * The one way the agent compares DNs, keys maps and locks by them, and derives names from them
 * (archive records, queued requests): two spellings of one DN are always one user, one archive
 * name. The LDAP API parses the DN (RFC 4514: escapes, quoting, spaces around separators,
 * multi-valued RDNs in any order) and normalises it with the matching rules of the standard
 * schema it bundles (RFC 4517, RFC 4519: {@code cn}, {@code uid}, {@code ou}, {@code dc} and the
 * others compare case-insensitively after string preparation, RFC 4518), so that
 * {@code cn=Doe\, Jane}, {@code CN = doe\2C jane} and {@code cn="Doe, Jane"} are one name. An
 * attribute type the standard schema does not know (a server's own) is compared by its
 * lower-cased value, which is what every such type the KMS uses in DNs asks for.
 */
public final class DistinguishedNames {

    private DistinguishedNames() {
    }

    /**
     * The normalised form of {@code dn}.
     *
     * @throws IllegalArgumentException when {@code dn} is not a DN (RFC 4514)
     */
    public static String normal(String dn) {
        Dn parsed;
        try {
            parsed = new Dn(dn);
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException("'" + dn + "' is not a DN (RFC 4514)", e);
        }
        try {
            return new Dn(Schema.MANAGER, parsed).getNormName();
        } catch (LdapException | RuntimeException e) {
            // A type the standard schema does not know: compare its values case-insensitively.
            return caseIgnoring(parsed);
        }
    }

    /** Whether {@code a} and {@code b} name the same entry. */
    public static boolean same(String a, String b) {
        return normal(a).equals(normal(b));
    }

    /**
     * The normalised form of {@code dn}, or empty when it is not a DN: for values read from the
     * directory (approvals, group members, share holders), where a value that is not a DN names
     * nobody.
     */
    public static java.util.Optional<String> normalIfValid(String dn) {
        try {
            return java.util.Optional.of(normal(dn));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** Whether {@code a} and {@code b} are both DNs and name the same entry. */
    public static boolean sameIfValid(String a, String b) {
        java.util.Optional<String> first = normalIfValid(a);
        return first.isPresent() && first.equals(normalIfValid(b));
    }

    /** Whether {@code dn} is {@code ancestor} or below it. */
    public static boolean within(String dn, String ancestor) {
        String name = normal(dn);
        String top = normal(ancestor);
        return name.equals(top) || name.endsWith("," + top);
    }

    /**
     * The value of the leftmost RDN of {@code dn} when that RDN is the single attribute
     * {@code type} (compared without regard to case), unescaped; null otherwise, or when
     * {@code dn} is not a DN or names the root.
     */
    public static String leafValue(String dn, String type) {
        try {
            Rdn leaf = new Dn(dn).getRdn();
            if (leaf == null || leaf.size() != 1 || !type.equalsIgnoreCase(leaf.getType().trim())) {
                return null;
            }
            return leaf.getValue();
        } catch (LdapInvalidDnException e) {
            return null;
        }
    }

    /**
     * {@code dn} without its leftmost RDN, or the empty DN for the root or one RDN.
     *
     * @throws IllegalArgumentException when {@code dn} is not a DN (RFC 4514)
     */
    public static String parent(String dn) {
        try {
            return new Dn(dn).getParent().getName();
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException("'" + dn + "' is not a DN (RFC 4514)", e);
        }
    }

    private static String caseIgnoring(Dn dn) {
        StringBuilder normal = new StringBuilder();
        for (Rdn rdn : dn) {
            if (normal.length() > 0) {
                normal.append(',');
            }
            boolean first = true;
            for (Ava ava : rdn) {
                if (!first) {
                    normal.append('+');
                }
                first = false;
                normal.append(ava.getType().toLowerCase(Locale.ROOT)).append('=')
                        .append(Rdn.escapeValue(ava.getValue().getString().trim().replaceAll("\\s+", " "))
                                .toLowerCase(Locale.ROOT));
            }
        }
        return normal.toString();
    }

    /** The standard schema, loaded once, on first use (about half a second). */
    private static final class Schema {
        static final SchemaManager MANAGER = load();

        private static SchemaManager load() {
            try {
                return new DefaultSchemaManager();
            } catch (RuntimeException e) {
                throw new IllegalStateException("the LDAP API's standard schema does not load", e);
            }
        }
    }
}
