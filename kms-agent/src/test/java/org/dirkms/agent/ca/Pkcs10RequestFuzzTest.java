package org.dirkms.agent.ca;

import java.util.List;
import org.dirkms.agent.fuzz.DerMutator;
import org.dirkms.agent.fuzz.DerSeeds;
import org.dirkms.agent.fuzz.FuzzSettings;
import org.dirkms.agent.fuzz.FuzzTally;
import org.dirkms.agent.fuzz.ParserFuzz;
import org.dirkms.agent.keys.TestPki;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the agent's PKCS#10 path with mutated requests (EC with a requested subjectAltName,
 * RSA with an emailAddress subject, EC with an empty subject): {@link Pkcs10Request#parseAndVerify},
 * the key policy of each standard template, and the CA's whole issuance pipeline either accept a
 * request or refuse it with {@link IssuanceRefusedException}, never anything else, and never hang.
 */
class Pkcs10RequestFuzzTest {

    @Test
    void mutatedRequestsAreIssuedOrRefusedWithAnIssuanceRefusal() {
        DerSeeds seeds = DerSeeds.get();
        TestPki pki = TestPki.create();
        CertificationAuthority ca = pki.ca();
        List<CertificateTemplate> templates = StandardTemplates.all();
        FuzzTally tally = ParserFuzz.run("agent-pkcs10", FuzzSettings.cases(3000),
                List.of(seeds.pkcs10, seeds.pkcs10Rsa, seeds.pkcs10NoSubject), new DerMutator(seeds.all()), der -> {
                    Pkcs10Request request = Pkcs10Request.parseAndVerify(der);
                    request.requestedSubject();
                    request.requestedEmailAddresses();
                    for (CertificateTemplate template : templates) {
                        try {
                            request.checkKeyPolicy(template);
                        } catch (IssuanceRefusedException e) {
                            // a key the template does not take: the documented refusal
                        }
                    }
                    ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE, der, DerSeeds.USER_DN,
                            List.of(DerSeeds.USER_MAIL)));
                    return "issued";
                }, IssuanceRefusedException.class);
        System.out.println(tally.line());
        tally.assertClean();
    }
}
