# Finds cuDNN: CUDNN_ROOT, then the CUDA toolkit, then the Python wheel
# nvidia-cudnn (site-packages/nvidia/cudnn) that the GPU machine has.
set(_gt_cudnn_hints ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
find_program(_gt_python3 NAMES python3)
if(_gt_python3)
  execute_process(
    COMMAND ${_gt_python3} -c "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__) if nvidia.cudnn.__file__ else list(nvidia.cudnn.__path__)[0])"
    OUTPUT_VARIABLE _gt_cudnn_wheel OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _gt_rc)
  if(_gt_rc EQUAL 0 AND _gt_cudnn_wheel)
    list(APPEND _gt_cudnn_hints ${_gt_cudnn_wheel})
  endif()
endif()
find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${_gt_cudnn_hints} ${CUDAToolkit_INCLUDE_DIRS}
          PATH_SUFFIXES include)
find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 libcudnn.so.8 HINTS ${_gt_cudnn_hints} ${CUDAToolkit_LIBRARY_DIR}
             PATH_SUFFIXES lib lib64 lib/x64)
if(CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
  set(CUDNN_FOUND TRUE)
  message(STATUS "gtrain: cuDNN ${CUDNN_LIBRARY} (headers ${CUDNN_INCLUDE_DIR})")
else()
  set(CUDNN_FOUND FALSE)
  message(STATUS "gtrain: cuDNN not found")
endif()
