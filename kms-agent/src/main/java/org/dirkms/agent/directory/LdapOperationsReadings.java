package org.dirkms.agent.directory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;

/**
 * What the operations endpoints of {@code dirkms serve} show, read from the directory in one
 * pass of paged searches ({@link PagedSearch}): the enrollments, the certificate request queue,
 * the recovery requests and the CAs by state, the recent enrollment failures with their
 * {@code kmsLastError}, the pending recoveries with their approval counts, and the audit head's
 * sequence number.
 *
 * <p>Only names, states, counts, times and reasons are asked for: never a token, a package, a
 * wrapped key or a password, so none can reach a page built from these readings.
 */
public final class LdapOperationsReadings {
    /** How many enrollment failures the readings keep, the most recent first. */
    public static final int RECENT_FAILURES = 20;
    private static final String MODIFY_TIMESTAMP = "modifyTimestamp";

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    /** Readings over {@code connection}, bound as an identity that may read the KMS entries (the KMS agent). */
    public LdapOperationsReadings(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.layout = layout;
    }

    /** An enrollment that failed: the user, its plain reason, and when the entry last changed (null if unknown). */
    public record Failure(String userDn, String reason, Instant at) {
    }

    /** A recovery request waiting for approvals: its DN, the user whose keys, approvals given and required. */
    public record PendingRecovery(String requestDn, String targetDn, int approvals, int requiredApprovals) {
    }

    /** A CA entry: its DN, its {@code kmsCAState}, and its CRL (DER; null when none is published). */
    public record CaReading(String dn, String state, byte[] crl) {
    }

    /**
     * One reading.
     *
     * @param enrollments users ({@code kmsUser}) by {@code kmsEnrollmentState}
     * @param requests certificate requests ({@code ou=Requests}) by {@code kmsRequestState}
     * @param oldestPendingRequest {@code kmsRequestedTime} of the oldest pending request, or null
     * @param recoveries recovery requests by {@code kmsRecoveryState}
     * @param failures up to {@link #RECENT_FAILURES} failed enrollments, the most recent first
     * @param pendingRecoveries the pending recovery requests
     * @param cas the CA entries
     * @param auditSequence {@code kmsAuditSequence} of the audit head, or null when it cannot be read
     */
    public record Readings(Map<String, Long> enrollments, Map<String, Long> requests, Instant oldestPendingRequest,
            Map<String, Long> recoveries, List<Failure> failures, List<PendingRecovery> pendingRecoveries,
            List<CaReading> cas, Long auditSequence) {
        /** Copies the collections. */
        public Readings {
            enrollments = Map.copyOf(enrollments);
            requests = Map.copyOf(requests);
            recoveries = Map.copyOf(recoveries);
            failures = List.copyOf(failures);
            pendingRecoveries = List.copyOf(pendingRecoveries);
            cas = List.copyOf(cas);
        }
    }

    /**
     * Reads everything once.
     *
     * @throws DirectoryAccessException if the directory cannot be read
     */
    public Readings read() {
        Map<String, Long> enrollments = new TreeMap<>();
        List<Failure> failures = new ArrayList<>();
        for (Entry user : entries.search(layout.suffix(), "(" + AttributeNames.OBJECT_CLASS + "=kmsUser)",
                SearchScope.SUBTREE, AttributeNames.ENROLLMENT_STATE, AttributeNames.LAST_ERROR, MODIFY_TIMESTAMP)) {
            String state = LdapEntries.first(user, AttributeNames.ENROLLMENT_STATE);
            enrollments.merge(state == null ? "none" : state, 1L, Long::sum);
            if ("failed".equals(state)) {
                String dn = user.getDn().getName();
                String reason = LdapEntries.first(user, AttributeNames.LAST_ERROR);
                failures.add(new Failure(dn, reason == null ? "" : reason,
                        LdapTimes.parse(LdapEntries.first(user, MODIFY_TIMESTAMP), dn, MODIFY_TIMESTAMP)));
            }
        }
        failures.sort(Comparator.comparing(Failure::at, Comparator.nullsLast(Comparator.reverseOrder())));
        Map<String, Long> requests = new TreeMap<>();
        Instant oldest = null;
        for (Entry request : entries.search(layout.requests(), "(" + AttributeNames.OBJECT_CLASS + "=*)",
                SearchScope.ONELEVEL, AttributeNames.REQUEST_STATE, AttributeNames.REQUESTED_TIME)) {
            String state = LdapEntries.first(request, AttributeNames.REQUEST_STATE);
            if (state == null) {
                continue;
            }
            requests.merge(state, 1L, Long::sum);
            if (state.equals("pending")) {
                Instant requested = LdapTimes.parse(LdapEntries.first(request, AttributeNames.REQUESTED_TIME),
                        request.getDn().getName(), AttributeNames.REQUESTED_TIME);
                if (requested != null && (oldest == null || requested.isBefore(oldest))) {
                    oldest = requested;
                }
            }
        }
        Map<String, Long> recoveries = new TreeMap<>();
        List<PendingRecovery> pending = new ArrayList<>();
        for (Entry request : entries.search(layout.recoveryRequests(), "(" + AttributeNames.OBJECT_CLASS + "=*)",
                SearchScope.ONELEVEL, AttributeNames.RECOVERY_STATE, AttributeNames.RECOVERY_TARGET,
                AttributeNames.RECOVERY_APPROVAL, AttributeNames.REQUIRED_APPROVALS)) {
            String state = LdapEntries.first(request, AttributeNames.RECOVERY_STATE);
            if (state == null) {
                continue;
            }
            recoveries.merge(state, 1L, Long::sum);
            if (state.equals("pending")) {
                String required = LdapEntries.first(request, AttributeNames.REQUIRED_APPROVALS);
                String target = LdapEntries.first(request, AttributeNames.RECOVERY_TARGET);
                pending.add(new PendingRecovery(request.getDn().getName(), target == null ? "" : target,
                        LdapEntries.strings(request, AttributeNames.RECOVERY_APPROVAL).size(),
                        required == null ? 0 : parseCount(required)));
            }
        }
        List<CaReading> cas = new ArrayList<>();
        for (Entry ca : entries.search(layout.certificationAuthorities(), "(" + AttributeNames.OBJECT_CLASS
                + "=kmsCertificationAuthority)", SearchScope.ONELEVEL, AttributeNames.CA_STATE,
                AttributeNames.CERTIFICATE_REVOCATION_LIST)) {
            String state = LdapEntries.first(ca, AttributeNames.CA_STATE);
            List<byte[]> crls = LdapEntries.bytes(ca, AttributeNames.CERTIFICATE_REVOCATION_LIST);
            cas.add(new CaReading(ca.getDn().getName(), state == null ? "disabled" : state,
                    crls.isEmpty() ? null : crls.get(0)));
        }
        return new Readings(enrollments, requests, oldest, recoveries,
                failures.subList(0, Math.min(RECENT_FAILURES, failures.size())), pending, cas, auditSequence());
    }

    /** The audit head's sequence number; null when the head is missing or this identity may not read it. */
    private Long auditSequence() {
        List<Entry> head = entries.search(layout.auditHead(), "(" + AttributeNames.OBJECT_CLASS + "=*)",
                SearchScope.OBJECT, AttributeNames.AUDIT_SEQUENCE);
        if (head.isEmpty()) {
            return null;
        }
        String sequence = LdapEntries.first(head.get(0), AttributeNames.AUDIT_SEQUENCE);
        return sequence == null ? null : (long) parseCount(sequence);
    }

    private static int parseCount(String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
