package org.dirkms.it.fuzz;

import java.util.ArrayList;
import java.util.List;

import org.dirkms.agent.fuzz.FuzzSettings;
import org.dirkms.agent.fuzz.FuzzTally;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fuzz suite against the real embedded server, over TLS, as the agent, the superuser, a KMS
 * administrator, an ordinary user and an anonymous client: one test per input class. See the package comment for
 * what each case must satisfy; {@link ServerFuzzRunner} judges them. The default case counts keep
 * the whole class well under two minutes on two cores (filters hundreds of levels deep and malformed PDUs,
 * which cost a new TLS connection or a wait each, are the slow ones); {@code -Ddirkms.fuzz.scale=N}
 * or {@code -Ddirkms.fuzz.cases=N} run more.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerFuzzIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final List<String> LINES = new ArrayList<>();
    private static FuzzFixture fixture;
    private static ServerFuzzRunner runner;

    @BeforeAll
    static void fixture() throws Exception {
        fixture = FuzzFixture.create(directory);
        runner = new ServerFuzzRunner(directory, fixture);
        DnStrings.seed(fixture);
    }

    @AfterAll
    static void report() {
        System.out.println(String.join("\n", LINES));
    }

    private static void run(String target, int defaultCases, ServerFuzzRunner.CaseFactory factory) throws Exception {
        FuzzTally tally = runner.run(target, FuzzSettings.cases(defaultCases), factory);
        synchronized (LINES) {
            LINES.add(tally.line());
        }
        System.out.println(tally.line());
        tally.assertClean();
    }

    @Test
    @Order(1)
    void derValues() throws Exception {
        run("server-der-values", 1500, new DerValueCases(fixture));
    }

    @Test
    @Order(2)
    void kmsAttributes() throws Exception {
        run("server-kms-attributes", 1500, AttributeValueCases.kmsAttributes(fixture));
    }

    @Test
    @Order(3)
    void dnValuedAttributes() throws Exception {
        run("server-dn-values", 600, AttributeValueCases.dnValues(fixture));
    }

    @Test
    @Order(4)
    void entryNames() throws Exception {
        run("server-dn-names", 800, new DnCases(fixture));
    }

    @Test
    @Order(5)
    void searchFilters() throws Exception {
        run("server-filters", 600, FilterCases.searches(fixture));
    }

    @Test
    @Order(6)
    void compares() throws Exception {
        run("server-compares", 600, FilterCases.compares(fixture));
    }

    @Test
    @Order(7)
    void ldifRecords() throws Exception {
        run("server-ldif", 500, new LdifCases(fixture));
    }

    @Test
    @Order(8)
    void malformedMessages() throws Exception {
        run("server-wire", 250, new WireCases(List.of(new DerValueCases(fixture), AttributeValueCases.kmsAttributes(fixture),
                FilterCases.searches(fixture), FilterCases.compares(fixture))));
    }
}
