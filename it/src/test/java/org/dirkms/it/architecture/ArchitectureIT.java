package org.dirkms.it.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every dependency rule of the architecture (docs/architecture.md, and each package-info's
 * "may depend on"), in this one class, checked on the compiled main classes of every module
 * ({@code <module>/target/classes}), so that a rule is broken by the build, not found in review.
 *
 * <ul>
 *   <li>the KMS agent speaks only LDAP: it never uses ApacheDS server classes nor the plugin;</li>
 *   <li>the directory plugin never uses the agent (no CA or key code inside the directory);</li>
 *   <li>the schema depends on the JDK only, so both sides can use it;</li>
 *   <li>each module owns its own package prefix, and no package is split across modules;</li>
 *   <li>inside the agent: the cryptography (keys below archive below S/MIME) knows no directory;
 *   keys never uses the CA; the CA reaches its records only through the interface it owns;
 *   the workflow kernel and the DN normalisation are leaves every workflow may stand on; the
 *   recovery stands on the kernel, its records and the cryptography, and the running agent reaches
 *   it only as a kernel {@code Workflow}; the request queue stands on the CA and the kernel; no lower
 *   package reaches up into the workflows or the command line.</li>
 * </ul>
 */
class ArchitectureIT {

    /** Each module and the package every one of its classes must live in (or below). */
    private static final Map<String, String> MODULE_PACKAGES = modulePackages();

    private static final Map<String, JavaClasses> CLASSES_BY_MODULE = new LinkedHashMap<>();
    private static JavaClasses all;

    private static Map<String, String> modulePackages() {
        Map<String, String> packages = new LinkedHashMap<>();
        packages.put("schema", "org.dirkms.schema");
        packages.put("ds-plugin", "org.dirkms.ds");
        packages.put("kms-agent", "org.dirkms.agent");
        packages.put("dist", "org.dirkms.dist");
        return packages;
    }

    @BeforeAll
    static void importEveryModule() {
        String root = System.getProperty("dirkms.project.root");
        if (root == null) {
            fail("system property dirkms.project.root is not set: run the ITs with mvn verify (failsafe sets it)");
        }
        List<Path> locations = new ArrayList<>();
        for (String module : MODULE_PACKAGES.keySet()) {
            Path classes = Path.of(root, module, "target", "classes");
            Path pom = Path.of(root, module, "pom.xml");
            assertTrue(Files.isRegularFile(pom), "module " + module + " is missing at " + pom);
            if (!Files.isDirectory(classes)) {
                // A module without main sources yet has no classes folder: nothing to check there.
                CLASSES_BY_MODULE.put(module, new ClassFileImporter().importClasses());
                continue;
            }
            locations.add(classes);
            CLASSES_BY_MODULE.put(module, new ClassFileImporter().importPath(classes));
        }
        all = new ClassFileImporter().importPaths(locations);
        assertFalse(CLASSES_BY_MODULE.get("schema").isEmpty(), "the schema module has no compiled classes: build it first");
        assertFalse(CLASSES_BY_MODULE.get("ds-plugin").isEmpty(),
                "the ds-plugin module has no compiled classes: build it first");
    }

    @Test
    void agentNeverUsesApacheDsServerClasses() {
        noClasses().that().resideInAPackage("org.dirkms.agent..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.directory.server..")
                .because("the agent speaks only LDAP, so that it runs against any LDAPv3 server (docs/architecture.md)")
                .allowEmptyShould(true)
                .check(all);
    }

    @Test
    void agentNeverUsesThePlugin() {
        noClasses().that().resideInAPackage("org.dirkms.agent..")
                .should().dependOnClassesThat().resideInAPackage("org.dirkms.ds..")
                .because("the agent reaches the directory through LDAP only, never through the plugin's classes")
                .allowEmptyShould(true)
                .check(all);
    }

    @Test
    void pluginNeverUsesTheAgent() {
        noClasses().that().resideInAPackage("org.dirkms.ds..")
                .should().dependOnClassesThat().resideInAPackage("org.dirkms.agent..")
                .because("the directory plugin never holds a CA key or a private key (docs/security.md)")
                .check(all);
    }

    @Test
    void schemaDependsOnTheJdkOnly() {
        classes().that().resideInAPackage("org.dirkms.schema..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "org.dirkms.schema..")
                .because("both the plugin and the agent use the schema, which must drag nothing along")
                .check(all);
    }

    private static final String AGENT = "org.dirkms.agent.";
    private static final String KEYS = AGENT + "keys..";
    private static final String ARCHIVE = AGENT + "archive..";
    private static final String SMIME = AGENT + "smime..";
    private static final String CA = AGENT + "ca..";
    private static final String DIRECTORY = AGENT + "directory..";
    private static final String ENROLL = AGENT + "enroll..";
    private static final String ESCROW = AGENT + "escrow..";
    private static final String WORKFLOW = AGENT + "workflow..";
    private static final String NAMES = AGENT + "names..";
    private static final String RECOVERY = AGENT + "recovery..";
    private static final String CUSTODY = AGENT + "custody..";
    private static final String OCSP = AGENT + "ocsp..";
    private static final String QUEUE = AGENT + "queue..";
    private static final String TRUST = AGENT + "trust..";
    private static final String TRANSFER = AGENT + "transfer..";
    private static final String AUDIT = AGENT + "audit..";
    private static final String REPLICATION = AGENT + "replication..";

    @Test
    void theCryptographyKnowsNoDirectory() {
        noClasses().that().resideInAnyPackage(KEYS, ARCHIVE, SMIME)
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.directory..", DIRECTORY, ENROLL, ESCROW,
                        WORKFLOW, RECOVERY, "org.dirkms.ds..", "org.dirkms.dist..")
                .because("keys, archive and S/MIME are a library the enrollment, recovery and checker code all use")
                .check(all);
    }

    @Test
    void keysBelowArchiveBelowSmime() {
        noClasses().that().resideInAPackage(KEYS).should().dependOnClassesThat().resideInAnyPackage(ARCHIVE, SMIME, CA)
                .because("key material never depends on the CA's code: the recovery certificate comes through"
                        + " RecoveryCertifier, which the keys package owns")
                .check(all);
        noClasses().that().resideInAPackage(ARCHIVE).should().dependOnClassesThat().resideInAnyPackage(SMIME, CA)
                .check(all);
    }

    @Test
    void theCaReachesItsRecordsOnlyThroughTheInterfaceItOwns() {
        noClasses().that().resideInAPackage(CA)
                .should().dependOnClassesThat().resideInAnyPackage(DIRECTORY, ENROLL, ESCROW, WORKFLOW, RECOVERY,
                        "org.dirkms.dist..")
                .because("the CA knows no directory: CaService works on CaRecords, which the ca package owns and"
                        + " the directory package implements over LDAP")
                .check(all);
        noClasses().that().resideInAPackage(CA)
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.directory.ldap.client..")
                .because("the CA never holds an LDAP connection")
                .check(all);
    }

    @Test
    void theRequestQueueStandsOnTheCaAndTheKernelOnly() {
        classes().that().resideInAPackage(QUEUE)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", QUEUE, CA, WORKFLOW, NAMES,
                        "org.dirkms.schema..", "org.slf4j..")
                .because("the CAs serve the request queue through the CA's records interface, with the kernel's"
                        + " leases and attempts (docs/state-machines.md); no LDAP, no enrollment")
                .check(all);
        noClasses().that().resideInAnyPackage(CA, WORKFLOW, DIRECTORY).should().dependOnClassesThat()
                .resideInAPackage(QUEUE)
                .because("the queue is a workflow on the CA: nothing below it reaches up")
                .check(all);
    }

    @Test
    void theOcspResponderReadsTheCaRecordsThroughTheCaOnly() {
        noClasses().that().resideInAPackage(OCSP)
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.directory..", DIRECTORY, ENROLL, ESCROW,
                        WORKFLOW, RECOVERY, KEYS, ARCHIVE, SMIME, "org.dirkms.dist..")
                .because("the responder answers from the CA's records interface, which the caller reaches the"
                        + " directory for (CaRecordsAccess): it holds no LDAP connection")
                .check(all);
        noClasses().that().resideInAPackage(CA).should().dependOnClassesThat().resideInAPackage(OCSP)
                .because("the CA certifies the responder; the responder depends on the CA, never the reverse")
                .check(all);
    }

    @Test
    void theDirectoryPackageImplementsRecordsAndKnowsNoWorkflow() {
        noClasses().that().resideInAPackage(DIRECTORY)
                .should().dependOnClassesThat().resideInAnyPackage(ENROLL, ESCROW, WORKFLOW, RECOVERY, KEYS, ARCHIVE,
                        SMIME, "org.bouncycastle..", "org.dirkms.dist..")
                .because("records cross the directory boundary as DER bytes and strings: no cryptography there")
                .check(all);
        classes().that().resideInAPackage(DIRECTORY)
                .should().onlyDependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "outside the CA but its records interface",
                        (JavaClass target) -> !target.getPackageName().startsWith(AGENT + "ca")
                                || target.getName().startsWith(AGENT + "ca.CaRecords")))
                .because("of the CA, the directory package knows only the records interface it implements")
                .check(all);
    }

    @Test
    void theTransferReachesTheDirectoryThroughItsRecordsAndNoWorkflow() {
        noClasses().that().resideInAPackage(TRANSFER)
                .should().dependOnClassesThat().resideInAnyPackage(ENROLL, RECOVERY, ESCROW, QUEUE, OCSP,
                        "org.apache.directory.ldap.client..", "org.dirkms.dist..")
                .because("export and import read and write through the records interfaces (docs/transfer.md): they"
                        + " hold no connection and drive no other workflow")
                .check(all);
        noClasses().that().resideInAnyPackage(KEYS, ARCHIVE, SMIME, CA, DIRECTORY, ENROLL, RECOVERY, ESCROW, QUEUE,
                WORKFLOW).should().dependOnClassesThat().resideInAPackage(TRANSFER)
                .because("moving users stands on the rest of the agent; nothing below it reaches up")
                .check(all);
    }

    @Test
    void theKernelAndTheNamesAreLeaves() {
        classes().that().resideInAPackage(WORKFLOW)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", WORKFLOW, DIRECTORY)
                .because("leases and attempts are what every claimed state machine stands on: they depend on the"
                        + " claim record and the JDK only")
                .check(all);
        noClasses().that().resideInAPackage(WORKFLOW)
                .should().dependOnClassesThat().resideInAnyPackage("org.apache..")
                .check(all);
        classes().that().resideInAPackage(NAMES)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", NAMES, "org.apache.directory.api..")
                .because("every package of the agent compares DNs through it")
                .check(all);
    }

    @Test
    void theHomeProviderKnowsOnlyTheLdapClient() {
        classes().that().resideInAPackage(REPLICATION)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", REPLICATION,
                        "org.apache.directory.api..", "org.apache.directory.ldap.client..")
                .because("choosing the home provider of a replicated directory reads contextCSN and nothing of the"
                        + " KMS (docs/reliability.md, \"Replicated directories\"): the running agent uses it")
                .check(all);
        noClasses().that().resideInAnyPackage(KEYS, ARCHIVE, SMIME, CA, DIRECTORY, WORKFLOW, NAMES, ESCROW, RECOVERY,
                QUEUE, TRUST, TRANSFER).should().dependOnClassesThat().resideInAPackage(REPLICATION)
                .because("only the running agent chooses where its work goes")
                .check(all);
    }

    @Test
    void workflowsDoNotReachIntoEachOtherOrTheCommandLine() {
        noClasses().that().resideInAPackage(ESCROW).should().dependOnClassesThat().resideInAnyPackage(ENROLL, RECOVERY)
                .because("the archive checker follows the enrollment's semantics from the records, not its code")
                .check(all);
        noClasses().that().resideInAnyPackage(ENROLL, ESCROW).should().dependOnClassesThat().resideInAPackage(RECOVERY)
                .because("the running agent drives the recovery as a workflow.Workflow that the composition root"
                        + " hands it, never through the recovery's classes")
                .check(all);
        noClasses().that().resideInAnyPackage("org.dirkms.agent..")
                .should().dependOnClassesThat().resideInAPackage("org.dirkms.dist..")
                .because("the command line wires the agent, never the other way")
                .check(all);
        noClasses().that().resideInAPackage("org.dirkms.agent..").and().resideOutsideOfPackage(AUDIT)
                .should().dependOnClassesThat().resideInAPackage(AUDIT)
                .because("the agent's connections report their writes to an enroll.WriteJournal; the command line"
                        + " hands them the audit trail as one")
                .check(all);
    }

    @Test
    void theTrustListStandsOnTheKernelItsRecordsAndTheCa() {
        noClasses().that().resideInAPackage(TRUST)
                .should().dependOnClassesThat().resideInAnyPackage(ENROLL, RECOVERY, ESCROW, ARCHIVE, SMIME, OCSP,
                        "org.apache.directory.server..", "org.dirkms.ds..", "org.dirkms.dist..")
                .because("the trust list is a workflow.Workflow over TrustRecords that the composition root hands the"
                        + " agent with the CA; it signs with its own key and asks the CA to certify (docs/architecture.md)")
                .check(all);
        noClasses().that().resideInAnyPackage(ENROLL, RECOVERY, ESCROW, CA)
                .should().dependOnClassesThat().resideInAPackage(TRUST)
                .because("the agent drives the trust list as a Workflow, never through its classes")
                .check(all);
    }

    @Test
    void theRecoveryStandsOnTheKernelTheRecordsAndTheCryptographyOnly() {
        classes().that().resideInAPackage(RECOVERY)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax.security..", RECOVERY, WORKFLOW,
                        DIRECTORY, ARCHIVE, SMIME, KEYS, NAMES, CUSTODY, "org.dirkms.schema..", "org.slf4j..",
                        "org.apache.directory.ldap.client.api..")
                .because("the recovery state machine reads and writes the directory through RecoveryRecords alone,"
                        + " unwraps with the archive's code, rebuilds custody keys with custody's and packages with"
                        + " S/MIME's; it never issues, enrolls or checks the archive (docs/architecture.md)")
                .check(all);
        noClasses().that().resideInAPackage(RECOVERY)
                .should().dependOnClassesThat().resideInAnyPackage(ENROLL, ESCROW, CA, "org.bouncycastle..")
                .check(all);
    }

    @Test
    void theCustodyIsCryptographyOverItsRecordsAndNothingBelowReachesUp() {
        classes().that().resideInAPackage(CUSTODY)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax..", CUSTODY, DIRECTORY, ARCHIVE,
                        KEYS, NAMES, "org.dirkms.schema..", "org.bouncycastle..")
                .because("threshold custody splits, seals and rebuilds the recovery keys over CustodyRecords, which"
                        + " the directory package implements: it holds no LDAP connection and drives no workflow"
                        + " (docs/custody.md)")
                .check(all);
        noClasses().that().resideInAnyPackage(KEYS, ARCHIVE, SMIME, CA, DIRECTORY, WORKFLOW, NAMES, ENROLL, ESCROW)
                .should().dependOnClassesThat().resideInAPackage(CUSTODY)
                .because("the recovery and the commands use custody; nothing below them reaches up")
                .check(all);
    }

    /**
     * The rules above see real dependencies: the plugin does use ApacheDS server classes, and
     * the same kind of rule reports it. Without this, a broken import would pass every rule.
     */
    @Test
    void theRulesSeeRealDependencies() {
        assertTrue(noClasses().that().resideInAPackage("org.dirkms.ds..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.directory.server..")
                .evaluate(all).hasViolation(), "the plugin's use of ApacheDS must be visible to the rules");
        assertTrue(classes().that().resideInAPackage("org.dirkms.ds..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "org.dirkms.ds..")
                .evaluate(all).hasViolation(), "the plugin's use of the schema must be visible to the rules");
        assertTrue(noClasses().that().resideInAPackage(DIRECTORY).should().dependOnClassesThat().resideInAPackage(CA)
                .evaluate(all).hasViolation(), "the directory's use of CaRecords must be visible to the rules");
        assertTrue(noClasses().that().resideInAPackage(ENROLL).should().dependOnClassesThat().resideInAPackage(WORKFLOW)
                .evaluate(all).hasViolation(), "the enrollment's use of the kernel must be visible to the rules");
        assertTrue(noClasses().that().resideInAPackage(RECOVERY).should().dependOnClassesThat().resideInAPackage(ARCHIVE)
                .evaluate(all).hasViolation(), "the recovery's use of the archive must be visible to the rules");
    }

    @Test
    void everyModuleKeepsToItsOwnPackagePrefix() {
        for (Map.Entry<String, String> module : MODULE_PACKAGES.entrySet()) {
            JavaClasses classes = CLASSES_BY_MODULE.get(module.getKey());
            String prefix = module.getValue();
            List<String> strays = new ArrayList<>();
            for (JavaClass type : classes) {
                String packageName = type.getPackageName();
                if (!packageName.equals(prefix) && !packageName.startsWith(prefix + ".")) {
                    strays.add(type.getName());
                }
            }
            assertEquals(List.of(), strays, "classes of module " + module.getKey() + " outside " + prefix);
        }
    }

    @Test
    void noPackageIsSplitAcrossModules() {
        Map<String, Set<String>> modulesByPackage = new HashMap<>();
        CLASSES_BY_MODULE.forEach((module, classes) -> {
            for (JavaClass type : classes) {
                modulesByPackage.computeIfAbsent(type.getPackageName(), key -> new TreeSet<>()).add(module);
            }
        });
        Map<String, Set<String>> split = new LinkedHashMap<>();
        modulesByPackage.forEach((packageName, modules) -> {
            if (modules.size() > 1) {
                split.put(packageName, modules);
            }
        });
        assertEquals(Map.of(), split, "packages found in more than one module");
    }
}
