package org.dirkms.it.ca;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules inside certificate services (CONVENTIONS.md, "Layout"), checked on the
 * compiled classes: the CA's cryptography knows no LDAP client, and the directory records know
 * no CA cryptography. The rules between modules (the agent never touches ApacheDS server
 * classes, the plugin never the agent) are {@code ArchitectureIT}'s.
 */
class CaDependencyRulesIT {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.dirkms");
    }

    @Test
    void caCryptographyKnowsNoLdapClientAndRecordsKnowNoCryptography() {
        noClasses().that().resideInAPackage("org.dirkms.agent.ca..").should().dependOnClassesThat()
                .resideInAPackage("org.apache.directory.ldap.client..").check(classes);
        noClasses().that().resideInAPackage("org.dirkms.agent.directory..").should().dependOnClassesThat()
                .resideInAnyPackage("org.dirkms.agent.ca..", "org.bouncycastle..").check(classes);
    }
}
