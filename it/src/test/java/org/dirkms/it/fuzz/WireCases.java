package org.dirkms.it.fuzz;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.dirkms.agent.fuzz.DerMutator;
import org.dirkms.agent.fuzz.Mutation;

/**
 * Cases of whole LDAPMessages mutated as BER (RFC 4511 section 5.1): a request another target
 * makes (a write of a certificate or a KMS attribute, a search with a fuzzed filter, a compare),
 * wrapped with a message id, then changed by the {@link DerMutator} — corrupted lengths and tags,
 * truncation, deleted and duplicated elements, deep nesting, indefinite lengths (which LDAP
 * forbids), random octets.
 *
 * <p>Expected: any precise answer, protocolError (2) with a Notice of Disconnection, or the
 * connection closed; never other (80) or operationsError (1), never Java text, never a hang on
 * a PDU whose lengths add up, and the server answers a simple search on a new connection after.
 */
final class WireCases implements ServerFuzzRunner.CaseFactory {

    private static final Set<Integer> ANY_PRECISE = Set.of(0, 2, 3, 4, 5, 6, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 32,
            34, 48, 49, 50, 53, 64, 65, 66, 67, 68, 69, 71);

    private final List<ServerFuzzRunner.CaseFactory> sources;
    private final DerMutator mutator = new DerMutator(List.of());

    WireCases(List<ServerFuzzRunner.CaseFactory> sources) {
        this.sources = sources;
    }

    @Override
    public ServerCase make(int index, SplittableRandom random) {
        ServerCase source = null;
        while (source == null || source.operation() == null) {
            source = Draw.one(random, sources).make(index, random);
        }
        byte[] message = LdapRequests.message(2_000_000 + index, source.operation(), source.controls());
        Mutation mutation = mutator.mutate(message, random);
        return ServerCase.raw(source.who(), "BER [" + mutation.description() + "] of: " + source.description(),
                mutation.bytes(), new HashSet<>(ANY_PRECISE)).withSecrets(source.sentSecrets());
    }
}
