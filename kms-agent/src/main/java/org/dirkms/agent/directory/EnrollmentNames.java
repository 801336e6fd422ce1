package org.dirkms.agent.directory;

import org.dirkms.agent.names.DistinguishedNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;

/**
 * The names an enrollment derives from its claim: the DNs of the certificate requests that the
 * attempt holding a user's {@code kmsClaimedBy} queues under
 * {@code ou=Requests}. The agent that queues the requests, a process taking over its claim, and
 * the CA serving the queue (which issues only for the requests the user's current claim
 * derives) all compute them here, from the user entry alone.
 */
public final class EnrollmentNames {
    private EnrollmentNames() {
    }

    /**
     * The DN of the request entry the attempt {@code attempt} queues for the certificate of
     * {@code purpose} ({@code signing}, {@code encryption}) of the user at {@code userDn}:
     * {@code cn=enroll-<40 hex digits of a SHA-256 of both>-<purpose>} under {@code ou=Requests}.
     * Two spellings of the user's DN give one name ({@link DistinguishedNames}).
     */
    public static String requestDn(DirectoryLayout layout, String userDn, String attempt, String purpose) {
        String material = DistinguishedNames.normal(userDn) + "\n" + attempt;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
            return AttributeNames.CN + "=enroll-" + HexFormat.of().formatHex(digest).substring(0, 40) + "-" + purpose
                    + "," + layout.requests();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Whether {@code requestDn} is the request for a {@code purpose} certificate that the
     * attempt {@code attempt} (the user's {@code kmsClaimedBy}) on the user at {@code userDn}
     * queues ({@link #requestDn}).
     */
    public static boolean isRequestOf(DirectoryLayout layout, String requestDn, String userDn, String attempt,
            String purpose) {
        return DistinguishedNames.same(requestDn, requestDn(layout, userDn, attempt, purpose));
    }
}
