package org.dirkms.agent.directory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;

/**
 * The names an enrollment derives from its claim: the identity of the attempt that holds a
 * user's {@code kmsClaimedBy}, and the DNs of the certificate requests that attempt queues under
 * {@code ou=Requests}. The agent that queues the requests, a process taking over its claim, and
 * the CA serving the queue (which issues only for the requests the user's current claim
 * derives) all compute them here, from the user entry alone.
 */
public final class EnrollmentNames {
    /**
     * What separates an attempt's identity from the certificates its claim supersedes in
     * {@code kmsClaimedBy} (the claim's lineage, written and read by the enrollment).
     */
    public static final String SUPERSEDES = " supersedes ";
    /** What separates an attempt's identity (and what it supersedes) from the dead attempts it replaces. */
    public static final String REPLACES = " replaces ";

    private EnrollmentNames() {
    }

    /**
     * The identity of the attempt that holds {@code claimedBy}: the value up to its lineage
     * ({@link #SUPERSEDES}, {@link #REPLACES}), e.g. {@code "uid=kms-agent,… pid 42 7f3a… #12"}.
     */
    public static String attemptOf(String claimedBy) {
        int at = claimedBy.indexOf(SUPERSEDES);
        if (at < 0) {
            at = claimedBy.indexOf(REPLACES);
        }
        return at < 0 ? claimedBy : claimedBy.substring(0, at);
    }

    /**
     * The DN of the request entry the attempt {@code attempt} queues for the certificate of
     * {@code purpose} ({@code signing}, {@code encryption}) of the user at {@code userDn}:
     * {@code cn=enroll-<40 hex digits of a SHA-256 of both>-<purpose>} under {@code ou=Requests}.
     * The user's DN is compared case-insensitively and without spaces around its separators, as
     * DNs are.
     */
    public static String requestDn(DirectoryLayout layout, String userDn, String attempt, String purpose) {
        String material = userDn.toLowerCase(Locale.ROOT).replaceAll("\\s*([,=+])\\s*", "$1") + "\n" + attempt;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
            return AttributeNames.CN + "=enroll-" + HexFormat.of().formatHex(digest).substring(0, 40) + "-" + purpose
                    + "," + layout.requests();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Whether {@code requestDn} is the request for a {@code purpose} certificate that the attempt
     * holding {@code claimedBy} on the user at {@code userDn} queues ({@link #requestDn}); DNs
     * are compared case-insensitively and without spaces around their separators.
     */
    public static boolean isRequestOf(DirectoryLayout layout, String requestDn, String userDn, String claimedBy,
            String purpose) {
        return normal(requestDn).equals(normal(requestDn(layout, userDn, attemptOf(claimedBy), purpose)));
    }

    private static String normal(String dn) {
        return dn.toLowerCase(Locale.ROOT).replaceAll("\\s*([,=+])\\s*", "$1").trim();
    }
}
