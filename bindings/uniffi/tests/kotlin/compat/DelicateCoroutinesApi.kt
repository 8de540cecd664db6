// Compile-time stand-in for an annotation that kotlinx-coroutines added in
// 1.5. The generated Kotlin imports it (and never uses it); Debian ships
// kotlinx-coroutines 1.0.1, which lacks it. CI compiles this file into a
// separate folder that is on the compile classpath only: neither the
// packaged jar nor the test run contains it, and at run time the generated
// code uses Debian's 1.0.1 unchanged.
package kotlinx.coroutines

annotation class DelicateCoroutinesApi
