// ThreadSanitizer's defaults for every binary built with --config=tsan (linked in through
// --custom_malloc in .bazelrc, so the gateway and the emulator that tests start carry them
// too). TSan reads these before main.
//
// Debian's libraries (gRPC, Abseil, protobuf, Boost) are built without -fsanitize=thread, so
// TSan cannot see their locks and atomics. Two things follow:
//
// 1. absl::Mutex. Our code guards its state with absl::Mutex, whose Lock and Unlock live in
//    Debian's uninstrumented libabsl_synchronization. Unseen, every guarded access looks like
//    a race. So this file defines absl::Mutex's entry points itself: the dynamic linker binds
//    our calls to these definitions (the executable comes first in symbol lookup), and each
//    one tells TSan what the mutex does (the __tsan_mutex_* annotations Abseil itself uses when
//    it is built with TSan) around a call to Debian's real function, found with
//    dlsym(RTLD_NEXT). Calls inside libabsl (Notification, CondVar) are bound directly and do
//    not come through here; our code does not use those.
//
// 2. Races inside an uninstrumented library that TSan sees only in part (a callback of ours
//    reading memory that gRPC's own poller wrote under gRPC's own lock). Each suppression
//    below names the library frame and why it is safe to skip. A suppression never names a
//    frame of our code.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"

namespace {

#define DBGW_STR2(x) #x
#define DBGW_STR(x) DBGW_STR2(x)

// The mangled name of a member of an absl class: "5Mutex4LockEv" ->
// "_ZN4absl7debian35Mutex4LockEv".
// '@' stands for the substitution that names the absl namespace in parameter types: "NS0_"
// when Abseil has an inline namespace (S_ is then absl, S0_ absl::debian3), "NS_" otherwise.
std::string Mangled(const char* class_and_member) {
  std::string name = "_ZN4absl";
  std::string ns_ref = "NS_";
#if ABSL_OPTION_USE_INLINE_NAMESPACE
  const char* ns = DBGW_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  name += std::to_string(std::strlen(ns)) + ns;
  ns_ref = "NS0_";
#endif
  for (const char* c = class_and_member; *c != '\0'; ++c) {
    if (*c == '@') {
      name += ns_ref;
    } else {
      name += *c;
    }
  }
  return name;
}

// Debian's definition of the member, looked up once. Aborts with the name if it is missing:
// a wrapper that cannot reach the real function must not pretend to lock.
template <typename Fn>
Fn Real(const char* class_and_member) {
  const std::string name = Mangled(class_and_member);
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_defaults: %s not found after this binary: %s\n", name.c_str(),
                 dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

constexpr unsigned kWrite = 0;
constexpr unsigned kRead = __tsan_mutex_read_lock;

// Debian's functions call one another through the dynamic linker too (CondVar::WaitWithTimeout
// calls WaitWithDeadline, Await calls AwaitWithDeadline), so they land here again. Only the
// outermost call on a thread is annotated; the nested ones go straight to Debian's.
thread_local bool in_wrapper = false;

class Outermost {
 public:
  Outermost() : outermost_(!in_wrapper) { in_wrapper = true; }
  ~Outermost() {
    if (outermost_) in_wrapper = false;
  }
  explicit operator bool() const { return outermost_; }

 private:
  const bool outermost_;
};

// Each scope below lives for the duration of one real call, annotating its start and end.

// A lock that always succeeds (Lock, LockWhen...).
class Locking {
 public:
  Locking(void* mu, unsigned mode) : mu_(mu), mode_(mode) {
    if (outermost_) __tsan_mutex_pre_lock(mu_, mode_);
  }
  ~Locking() {
    if (outermost_) __tsan_mutex_post_lock(mu_, mode_, 0);
  }

 private:
  Outermost outermost_;
  void* const mu_;
  const unsigned mode_;
};

class Unlocking {
 public:
  Unlocking(void* mu, unsigned mode) : mu_(mu), mode_(mode) {
    if (outermost_) __tsan_mutex_pre_unlock(mu_, mode_);
  }
  ~Unlocking() {
    if (outermost_) __tsan_mutex_post_unlock(mu_, mode_);
  }

 private:
  Outermost outermost_;
  void* const mu_;
  const unsigned mode_;
};

// Await and CondVar::Wait drop the mutex and take it again before they return. TSan is told
// so; what other threads published under the mutex meanwhile is then ordered before us.
class Waiting {
 public:
  explicit Waiting(void* mu) : mu_(mu) {
    if (!outermost_) return;
    __tsan_mutex_pre_unlock(mu_, kWrite);
    __tsan_mutex_post_unlock(mu_, kWrite);
    __tsan_mutex_pre_lock(mu_, kWrite);
  }
  ~Waiting() {
    if (outermost_) __tsan_mutex_post_lock(mu_, kWrite, 0);
  }

 private:
  Outermost outermost_;
  void* const mu_;
};

// A try-lock, annotated with its outcome.
template <typename Call>
bool TryLocking(void* mu, unsigned mode, Call call) {
  Outermost outermost;
  if (!outermost) return call();
  mode |= __tsan_mutex_try_lock;
  __tsan_mutex_pre_lock(mu, mode);
  const bool locked = call();
  __tsan_mutex_post_lock(mu, locked ? mode : mode | __tsan_mutex_try_lock_failed, 0);
  return locked;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// A mutex whose memory is reused (a stack frame, say) starts afresh; TSan reports destroying
// one that is held.
Mutex::~Mutex() {
  static auto real = Real<void (*)(Mutex*)>("5MutexD1Ev");
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  Locking scope(this, kWrite);
  real(this);
}

void Mutex::ReaderLock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  Locking scope(this, kRead);
  real(this);
}

bool Mutex::TryLock() {
  static auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  return TryLocking(this, kWrite, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  static auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  return TryLocking(this, kRead, [&] { return real(this); });
}

void Mutex::Unlock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  Unlocking scope(this, kWrite);
  real(this);
}

void Mutex::ReaderUnlock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  Unlocking scope(this, kRead);
  real(this);
}

void Mutex::LockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>("5Mutex8LockWhenERK@9ConditionE");
  Locking scope(this, kWrite);
  real(this, cond);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex19LockWhenWithTimeoutERK@9ConditionE@8DurationE");
  Locking scope(this, kWrite);
  return real(this, cond, timeout);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex20LockWhenWithDeadlineERK@9ConditionE@4TimeE");
  Locking scope(this, kWrite);
  return real(this, cond, deadline);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex14ReaderLockWhenERK@9ConditionE");
  Locking scope(this, kRead);
  real(this, cond);
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERK@9ConditionE@8DurationE");
  Locking scope(this, kRead);
  return real(this, cond, timeout);
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERK@9ConditionE@4TimeE");
  Locking scope(this, kRead);
  return real(this, cond, deadline);
}

void Mutex::Await(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>("5Mutex5AwaitERK@9ConditionE");
  Waiting scope(this);
  real(this, cond);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERK@9ConditionE@8DurationE");
  Waiting scope(this);
  return real(this, cond, timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex17AwaitWithDeadlineERK@9ConditionE@4TimeE");
  Waiting scope(this);
  return real(this, cond, deadline);
}

void CondVar::Wait(Mutex* mu) {
  static auto real = Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEP@5MutexE");
  Waiting scope(mu);
  real(this, mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static auto real =
      Real<bool (*)(CondVar*, Mutex*, Duration)>("7CondVar15WaitWithTimeoutEP@5MutexE@8DurationE");
  Waiting scope(mu);
  return real(this, mu, timeout);
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static auto real =
      Real<bool (*)(CondVar*, Mutex*, Time)>("7CondVar16WaitWithDeadlineEP@5MutexE@4TimeE");
  Waiting scope(mu);
  return real(this, mu, deadline);
}

ABSL_NAMESPACE_END
}  // namespace absl

extern "C" {

// ignore_noninstrumented_modules: the memory that an intercepted call (sendmsg, memcpy, free)
// touches on behalf of Debian's gRPC is ordered by gRPC's own atomics, which TSan cannot see;
// checked, every transport write would race with the free that follows it. Calls made from
// our instrumented code are still checked.
const char* _tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1";
}

// Each line names a frame of Debian's gRPC, never one of ours.
const char* _tsan_default_suppressions() {
  return
      // gRPC's callback API finishes a batch (CallOpSet::FinalizeResult, a template
      // compiled into our binary) on one thread after an interceptor's Proceed on another;
      // the hand-off between them is libgrpc's completion queue, which TSan cannot see.
      "race:grpc::internal::CallOpSet\n"
      // The same hand-off for the callback tag a reactor arms (Set, on the thread that calls
      // Finish) and gRPC runs (Run, on a poller thread), and for the interceptor batch that
      // libgrpc++ builds on one thread and runs our interceptor with on another.
      "race:grpc::internal::CallbackWithSuccessTag\n"
      "race:InterceptorBatchMethods\n"
      // gRPC's executor threads are never joined: they live until the process exits.
      "thread:grpc_core::Thread::Thread\n";
}

}  // extern "C"
