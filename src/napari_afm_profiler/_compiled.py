"""Small compiled helpers shared by the numba kernels."""

from __future__ import annotations

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the CPU to load ``array[index]`` into cache (no effect on results; no bounds check).

    For kernels that visit an image in an order unrelated to its layout (merge trees swept by
    height): loads issued a few steps ahead overlap, where the sweep's own loads wait on each other.
    """
    if not isinstance(array, types.Array) or array.ndim != 1 or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, data, [args[1]], wraparound=False,
                                           boundscheck=False)
        i32 = ir.IntType(32)
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        # the intrinsic is named after its pointer type: opaque "p0" from LLVM 15 (numba >= 0.61), "p0i8" before
        name = "llvm.prefetch.p0" if binding.llvm_version_info >= (15,) else "llvm.prefetch.p0i8"
        hint = cgutils.get_or_insert_function(builder.module,
                                              ir.FunctionType(ir.VoidType(), [byte_pointer.type] + [i32] * 3), name)
        builder.call(hint, [byte_pointer, i32(0), i32(3), i32(1)])  # read, keep in all cache levels, data
        return context.get_dummy_value()

    return types.void(array, index), codegen
