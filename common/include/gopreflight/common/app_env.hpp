#pragma once
/// The environment /mutate gives the injected gopreflight-check about the app container, and the
/// check reads: one list, so the injector and the check cannot drift apart.
namespace gopreflight::common::app_env {

inline constexpr const char* kContainer = "GOPREFLIGHT_APP_CONTAINER";  ///< the app container's name
inline constexpr const char* kMemoryLimit = "GOPREFLIGHT_APP_MEMORY_LIMIT";  ///< bytes | "unlimited"
inline constexpr const char* kCpuLimitMillicores = "GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES";  ///< millicores | "unlimited"
inline constexpr const char* kGomemlimit = "GOPREFLIGHT_APP_GOMEMLIMIT";  ///< the app's own value, literally
inline constexpr const char* kGomaxprocs = "GOPREFLIGHT_APP_GOMAXPROCS";  ///< the app's own value, literally
inline constexpr const char* kUnlimited = "unlimited";

}  // namespace gopreflight::common::app_env
