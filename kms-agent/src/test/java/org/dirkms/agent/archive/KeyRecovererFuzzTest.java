package org.dirkms.agent.archive;

import java.util.Arrays;
import java.util.List;
import org.dirkms.agent.fuzz.DerMutator;
import org.dirkms.agent.fuzz.DerSeeds;
import org.dirkms.agent.fuzz.FuzzSettings;
import org.dirkms.agent.fuzz.FuzzTally;
import org.dirkms.agent.fuzz.ParserFuzz;
import org.dirkms.agent.keys.RecoveryKey;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the unwrapping of archived keys as key recovery does it: a mutated {@code kmsWrappedKey}
 * (CMS EnvelopedData of a PKCS#8 key, to an RSA and to an EC recovery key, made by
 * {@link KeyArchiver}) either gives a private key or fails with {@link KeyRecoveryException},
 * whose message holds no key material; never another exception, never a hang.
 */
class KeyRecovererFuzzTest {

    @Test
    void mutatedArchivesUnwrapOrFailWithAKeyRecoveryException() {
        DerSeeds seeds = DerSeeds.get();
        KeyRecoverer recoverer = new KeyRecoverer(List.of(
                new RecoveryKey(DerSeeds.certificate(seeds.rsaCertificate), seeds.rsaKeys.getPrivate()),
                new RecoveryKey(DerSeeds.certificate(seeds.recoveryCertificate), seeds.recoveryKeys.getPrivate())));
        byte[] archived = seeds.userKeys.getPrivate().getEncoded();
        String archivedHex = java.util.HexFormat.of().formatHex(archived);
        FuzzTally tally = ParserFuzz.run("agent-cms-unwrap", FuzzSettings.cases(2000),
                List.of(seeds.envelopedToRsa, seeds.envelopedToEc), new DerMutator(seeds.all()), der -> {
                    try {
                        return Arrays.equals(recoverer.unwrap(der).getEncoded(), archived) ? "unwrapped" : "unwrapped other";
                    } catch (KeyRecoveryException e) {
                        if (String.valueOf(e.getMessage()).toLowerCase().contains(archivedHex.substring(0, 32))) {
                            throw new AssertionError("the message shows the key: " + e.getMessage());
                        }
                        throw e;
                    }
                }, KeyRecoveryException.class);
        System.out.println(tally.line());
        tally.assertClean();
    }
}
