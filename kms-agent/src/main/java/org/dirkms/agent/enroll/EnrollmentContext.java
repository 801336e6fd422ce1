package org.dirkms.agent.enroll;

import java.time.Clock;
import java.time.Duration;

import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;

/**
 * What every part of the enrollment state machine works with (docs/state-machines.md): the
 * records in the directory, the cryptography, what this agent can revoke, the workflow kernel
 * (leases on an injected clock, the identities of attempts), which users the agent serves, and
 * how long an unfetched package stays.
 *
 * @param records         the directory's records
 * @param crypto          keys, archive wrapping, packages, bundles
 * @param revocations     what this agent can revoke (a CA in its process, or nothing)
 * @param lease           how long a claim lasts, on the injected clock
 * @param attempts        the identities of this process's attempts
 * @param scope           which users this agent serves
 * @param packageLifetime how long an unfetched key package stays
 */
record EnrollmentContext(EnrollmentRecords records, EnrollmentCryptography crypto, Revocations revocations,
        Lease lease, Attempts attempts, AgentScope scope, Duration packageLifetime) {

    /** The clock of the leases and expiries. */
    Clock clock() {
        return lease.clock();
    }
}
