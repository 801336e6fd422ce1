package org.dirkms.agent.enroll;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.agent.directory.EnrollmentNames;

/**
 * The {@code kmsClaimedBy} value of an enrollment, with the attempts a take-over replaced.
 *
 * <p>An attempt is named by its owner and a counter ({@code "agent-7f3a #12"}); its archive
 * record and queued requests are named from that identity alone (a waiting attempt renews its
 * lease; the lease recorded for a dead attempt says when it was given up). A take-over must clean
 * up what the dead attempt left, but it can only do so after its own claim is written (the
 * test-and-set is what makes it the one process allowed to); a process killed between the two
 * would leave the dead attempt's archive record to nobody. So a take-over's claim carries the
 * lineage: {@code "<attempt> replaces <dead attempt>@<lease epoch> <older dead attempt>@<lease>…"},
 * and the next take-over cleans up every attempt in it. The lineage ends when the enrollment is
 * published or failed (the claim is removed then), so it holds only consecutive dead attempts.
 *
 * <p>A re-enrollment's claim also names the certificates it supersedes (the user's published
 * certificates when it was claimed), as {@code "<attempt> supersedes <serial>:<issuer tag>,…"}
 * before any {@code replaces}: the serial in hex and a tag of the issuer's name, so that an
 * agent with that CA revokes exactly its own certificates. The list is written with the claim,
 * before anything is published, and the publication keeps it on the entry (with the lease)
 * until the certificates are revoked: a process killed right after publishing leaves on the
 * entry what it still had to revoke, and a restarted agent or its sweep finishes it.
 */
final class ClaimLineage {

    private static final String REPLACES = EnrollmentNames.REPLACES;
    private static final String SUPERSEDES = EnrollmentNames.SUPERSEDES;
    private static final Pattern ENTRY = Pattern.compile("\\s*(.+?)@(\\d{1,18})(?=\\s|$)");

    /** One dead attempt: its identity and the lease it held. */
    record Attempt(String claim, Instant leaseExpires) {
    }

    /**
     * A certificate a re-enrollment supersedes: its serial and the tag of its issuer's name
     * ({@link #issuerTag}).
     */
    record Superseded(BigInteger serial, String issuerTag) {
        /** The entry for {@code certificate}. */
        static Superseded of(X509Certificate certificate) {
            return new Superseded(certificate.getSerialNumber(), ClaimLineage.issuerTag(certificate.getIssuerX500Principal()));
        }

        /** Whether the CA whose certificate is {@code caCertificate} issued this one. */
        boolean issuedBy(X509Certificate caCertificate) {
            return issuerTag.equals(ClaimLineage.issuerTag(caCertificate.getSubjectX500Principal()));
        }
    }

    private ClaimLineage() {
    }

    /** The identity of the attempt that holds {@code claimedBy}, without its lineage. */
    static String attemptOf(String claimedBy) {
        // One definition, shared with the CA, which serves only the requests the current claim names.
        return EnrollmentNames.attemptOf(claimedBy);
    }

    /**
     * The suffix naming {@code superseded} ({@code ""} when empty), to follow an attempt's
     * identity and precede any {@code replaces}.
     */
    static String supersedesSuffix(List<Superseded> superseded) {
        if (superseded.isEmpty()) {
            return "";
        }
        StringBuilder suffix = new StringBuilder(SUPERSEDES);
        for (int i = 0; i < superseded.size(); i++) {
            if (i > 0) {
                suffix.append(',');
            }
            suffix.append(superseded.get(i).serial().toString(16)).append(':').append(superseded.get(i).issuerTag());
        }
        return suffix.toString();
    }

    /**
     * {@code claim} naming {@code superseded} instead of what it named, its attempt and lineage
     * unchanged.
     */
    static String withSuperseded(String claim, List<Superseded> superseded) {
        int lineage = claim.indexOf(REPLACES);
        return attemptOf(claim) + supersedesSuffix(superseded) + (lineage < 0 ? "" : claim.substring(lineage));
    }

    /**
     * The certificates {@code claimedBy} (null: none) says are superseded, in order, without
     * repeats; an entry that does not parse is skipped.
     */
    static List<Superseded> superseded(String claimedBy) {
        if (claimedBy == null) {
            return List.of();
        }
        int start = claimedBy.indexOf(SUPERSEDES);
        if (start < 0) {
            return List.of();
        }
        start += SUPERSEDES.length();
        int end = claimedBy.indexOf(REPLACES, start);
        Set<Superseded> found = new LinkedHashSet<>();
        for (String item : claimedBy.substring(start, end < 0 ? claimedBy.length() : end).split(",")) {
            int colon = item.indexOf(':');
            if (colon <= 0 || colon == item.length() - 1) {
                continue;
            }
            try {
                BigInteger serial = new BigInteger(item.substring(0, colon).trim(), 16);
                if (serial.signum() > 0) {
                    found.add(new Superseded(serial, item.substring(colon + 1).trim()));
                }
            } catch (NumberFormatException e) {
                // Not written by an agent: skipped, as the lineage skips what does not parse.
            }
        }
        return List.copyOf(found);
    }

    /**
     * A short, stable tag of an issuer's name: 16 hex digits of the SHA-256 of its RFC 2253
     * canonical form (so that two encodings of one name give one tag).
     */
    static String issuerTag(X500Principal issuer) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(issuer.getName(X500Principal.CANONICAL).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * The suffix a take-over appends to its own attempt identity: the attempt it replaces (the
     * holder of {@code claimedBy}, whose lease expired at {@code leaseExpires}) and that
     * attempt's own lineage.
     */
    static String successorSuffix(String claimedBy, Instant leaseExpires) {
        if (claimedBy == null || leaseExpires == null) {
            return "";
        }
        StringBuilder suffix = new StringBuilder(REPLACES).append(entry(attemptOf(claimedBy), leaseExpires));
        for (Attempt older : replaced(claimedBy)) {
            suffix.append(' ').append(entry(older.claim(), older.leaseExpires()));
        }
        return suffix.toString();
    }

    /**
     * Every dead attempt to clean up when the holder of {@code claimedBy} (lease expired at
     * {@code leaseExpires}) is taken over: that holder first, then those it replaced.
     */
    static List<Attempt> deadAttempts(String claimedBy, Instant leaseExpires) {
        List<Attempt> dead = new ArrayList<>();
        dead.add(new Attempt(attemptOf(claimedBy), leaseExpires));
        dead.addAll(replaced(claimedBy));
        return dead;
    }

    /** The attempts listed after {@code replaces}; an entry that does not parse is skipped. */
    private static List<Attempt> replaced(String claimedBy) {
        List<Attempt> attempts = new ArrayList<>();
        int at = claimedBy.indexOf(REPLACES);
        if (at < 0) {
            return attempts;
        }
        // Entries are "<owner> #<n>@<epoch>", separated by spaces. An owner may hold spaces and
        // '@' (it starts with the agent's DN), so an entry ends at the first "@<digits>" that is
        // followed by a space or the end.
        Matcher entry = ENTRY.matcher(claimedBy.substring(at + REPLACES.length()));
        while (entry.find()) {
            attempts.add(new Attempt(entry.group(1), Instant.ofEpochSecond(Long.parseLong(entry.group(2)))));
        }
        return attempts;
    }

    private static String entry(String attempt, Instant leaseExpires) {
        return attempt + "@" + leaseExpires.getEpochSecond();
    }
}
