package org.dirkms.agent.recovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.RequiredApprovals;

/**
 * The approvals of a recovery request that count (docs/security.md, "What needs two people"):
 * distinct recovery agents, by DN however it is spelled, none of them the requester, each a
 * member of {@code cn=Recovery Agents} now (an agent who lost the role no longer counts) and not
 * a KMS agent (the KMS is a member of every role group, and approves nothing). The directory's
 * guard already refuses the other approvals; counting again here keeps the rule where the keys
 * are, whatever wrote the entry. The number required is the larger of the request's
 * {@code kmsRequiredApprovals} (set by the directory when the request was made) and the serving
 * KMS server's configuration now, so that neither a request nor a later change of the
 * configuration lowers it.
 *
 * @param counted the approvals that count, as stored (what the delivery's test-and-set checks)
 * @param given how many approvals the request carries, counted or not
 * @param required how many must count
 */
record Approvals(List<String> counted, int given, int required) {

    Approvals {
        counted = List.copyOf(counted);
    }

    /**
     * Counts the approvals of {@code request}.
     *
     * @param configured the serving KMS server's {@code kmsRequiredApprovals}
     * @param recoveryAgents the {@code member} values of {@code cn=Recovery Agents}
     * @param kmsAgents the {@code member} values of {@code cn=KMS Agents}
     */
    static Approvals of(RequestEntry request, int configured, Collection<String> recoveryAgents,
            Collection<String> kmsAgents) {
        Set<String> agents = normalised(recoveryAgents);
        Set<String> kms = normalised(kmsAgents);
        String requester = request.requester() == null ? null : normal(request.requester());
        Set<String> seen = new LinkedHashSet<>();
        List<String> counted = new ArrayList<>();
        for (String approval : request.approvals()) {
            String who = normal(approval);
            if (who == null || who.equals(requester) || !agents.contains(who) || kms.contains(who)) {
                continue;
            }
            if (seen.add(who)) {
                counted.add(approval);
            }
        }
        int stored;
        try {
            stored = RequiredApprovals.parse(request.requiredApprovals(), request.dn());
        } catch (IllegalArgumentException e) {
            stored = RequiredApprovals.DEFAULT; // the guard refuses such values; never fewer than the configuration
        }
        return new Approvals(counted, request.approvals().size(), Math.max(stored, configured));
    }

    /** Whether enough distinct recovery agents approved. */
    boolean complete() {
        return counted.size() >= required;
    }

    /** "1 of the 2 approvals required", for messages. */
    String summary() {
        return counted.size() + " of the " + required + " approval" + (required == 1 ? "" : "s") + " required";
    }

    private static Set<String> normalised(Collection<String> dns) {
        Set<String> names = new LinkedHashSet<>();
        for (String dn : dns) {
            String name = normal(dn);
            if (name != null) {
                names.add(name);
            }
        }
        return names;
    }

    /** The normal form of {@code dn}, or null when it is not a DN (it then matches nobody). */
    private static String normal(String dn) {
        try {
            return DistinguishedNames.normal(dn);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
