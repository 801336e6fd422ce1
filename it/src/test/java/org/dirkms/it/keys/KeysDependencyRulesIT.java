package org.dirkms.it.keys;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of the key building blocks (their package-info files), checked on the
 * compiled classes: keys, archive and S/MIME know no directory and no LDAP; keys below archive
 * below S/MIME, never the other way, so the cryptography stays a library the enrollment,
 * recovery and checker code all use.
 */
class KeysDependencyRulesIT {
    private static final String KEYS = "org.dirkms.agent.keys..";
    private static final String ARCHIVE = "org.dirkms.agent.archive..";
    private static final String SMIME = "org.dirkms.agent.smime..";
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.dirkms");
    }

    @Test
    void theCryptographyKnowsNoDirectory() {
        noClasses().that().resideInAnyPackage(KEYS, ARCHIVE, SMIME).should().dependOnClassesThat()
                .resideInAnyPackage("org.apache.directory..", "org.dirkms.agent.directory..", "org.dirkms.agent.enroll..",
                        "org.dirkms.ds..", "org.dirkms.dist..")
                .check(classes);
    }

    @Test
    void keysBelowArchiveBelowSmime() {
        noClasses().that().resideInAPackage(KEYS).should().dependOnClassesThat().resideInAnyPackage(ARCHIVE, SMIME)
                .check(classes);
        noClasses().that().resideInAPackage(ARCHIVE).should().dependOnClassesThat()
                .resideInAnyPackage(SMIME, "org.dirkms.agent.ca..").check(classes);
    }
}
