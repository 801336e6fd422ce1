/**
 * The architecture's dependency rules, checked with ArchUnit on every module's compiled main
 * classes: the agent never uses ApacheDS server classes or the plugin, the plugin never uses the
 * agent, the schema uses the JDK only, and each module keeps to its own package prefix.
 *
 * <p>Depends on ArchUnit and JUnit only; it reads class files, never loads the modules.
 */
package org.dirkms.it.architecture;
