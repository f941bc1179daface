// Flat index of an elementwise kernel; the host splits large dispatches over y.
layout(local_size_x = 256) in;
uint flat_index() { return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256u + gl_LocalInvocationID.x; }
